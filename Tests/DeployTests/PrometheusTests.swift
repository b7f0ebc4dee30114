// ops/prometheus: the scrape configuration and the alert rules.
import Foundation
import Testing

@Suite("Prometheus")
struct PrometheusTests {
    @Test("prometheus.yml scrapes every worker replica through Docker DNS and loads alerts.yml")
    func config() throws {
        let doc = try loadYAMLMap("ops/prometheus/prometheus.yml")
        #expect(text(dig(doc, "global", "scrape_interval")) != nil)
        let compose = try Compose()
        let mount = compose.mounts("prometheus").first { $0.source == "./ops/prometheus" }?.target ?? "?"
        let ruleFiles = list(doc["rule_files"]).compactMap { text($0) }
        #expect(!ruleFiles.isEmpty)
        for f in ruleFiles {
            #expect(f.hasPrefix(mount + "/"), "rule file \(f) is outside the mounted \(mount)")
            #expect(FileManager.default.fileExists(atPath: repoFile("ops/prometheus/" + f.dropFirst(mount.count + 1)).path))
        }
        let jobs = list(doc["scrape_configs"]).map(mapping)
        let names = jobs.compactMap { text($0["job_name"]) }
        #expect(Set(names).count == names.count && names.count == jobs.count)
        let port = Int(compose.env("worker")["MERCLIP_METRICS_PORT"] ?? "")
        for service in ["worker", "replay-worker"] {
            let job = jobs.first { list($0["dns_sd_configs"]).map(mapping).contains { list($0["names"]).compactMap { text($0) } == [service] } }
            #expect(job != nil, "no scrape job discovers \(service)")
            let sd = list(job?["dns_sd_configs"]).map(mapping).first ?? [:]
            #expect(text(sd["type"]) == "A" && sd["port"] as? Int == port)
            #expect((text(job?["metrics_path"]) ?? "/metrics") == "/metrics")
            #expect(compose.services[service] != nil)
        }
        #expect(names.contains("merclip-worker"), "alerts.yml selects job=\"merclip-worker\"")
    }

    @Test("alerts.yml: lag growing, DLQ rate and no progress, each well formed")
    func alerts() throws {
        let doc = try loadYAMLMap("ops/prometheus/alerts.yml")
        let rules = list(doc["groups"]).map(mapping).flatMap { list($0["rules"]).map(mapping) }
        let names = rules.compactMap { text($0["alert"]) }
        #expect(names.count == rules.count && Set(names).count == names.count)
        for required in ["MerclipConsumerLagGrowing", "MerclipDLQRateHigh", "MerclipNoProgress"] {
            #expect(names.contains(required), "\(required) missing")
        }
        let duration = try NSRegularExpression(pattern: #"^([0-9]+(ms|s|m|h|d|w|y))+$"#)
        for r in rules {
            let name = text(r["alert"]) ?? "?"
            let expr = text(r["expr"]) ?? ""
            #expect(bracketsBalance(expr), "\(name): unbalanced expression")
            let metrics = metricNames(in: expr)
            #expect(!metrics.isEmpty && metrics.isSubset(of: queryableSeries), "\(name): metrics \(metrics.subtracting(queryableSeries))")
            let forText = text(r["for"]) ?? ""
            #expect(duration.numberOfMatches(in: forText, range: NSRange(forText.startIndex..., in: forText)) == 1, "\(name): for \(forText)")
            #expect(["info", "warning", "critical"].contains(text(dig(r, "labels", "severity")) ?? ""), "\(name): severity")
            #expect(!(text(dig(r, "annotations", "summary")) ?? "").isEmpty, "\(name): summary")
            for (_, a) in mapping(r["annotations"]) { #expect(bracketsBalance(text(a) ?? ""), "\(name): annotation template") }
        }
        func expr(_ n: String) -> String { text(rules.first { text($0["alert"]) == n }?["expr"]) ?? "" }
        #expect(metricNames(in: expr("MerclipConsumerLagGrowing")).contains("merclip_consumer_lag"))
        #expect(metricNames(in: expr("MerclipDLQRateHigh")).contains("merclip_dlq_total"))
        #expect(metricNames(in: expr("MerclipNoProgress")).isSuperset(of: ["merclip_consumer_lag", "merclip_results_written_total"]))
    }

    @Test("the metrics contract matches the worker's registry",
          .enabled(if: FileManager.default.fileExists(atPath: repoFile("Sources/Worker/Metrics.swift").path)))
    func contract() throws {
        let source = try readRepoText("Sources/Worker/Metrics.swift")
        for (name, type) in workerMetrics {
            #expect(source.contains("\"\(name)\": (\"\(type)\""), "the worker does not register \(name) as a \(type)")
        }
    }
}
