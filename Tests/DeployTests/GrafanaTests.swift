// The Grafana dashboard and its provisioning: structure, datasources, variables, PromQL.
import Foundation
import Testing

struct Dashboard {
    let doc: [String: Any]
    init() throws { doc = mapping(try loadJSON("ops/grafana/dashboards/merclip.json")) }
    var panels: [[String: Any]] {
        list(doc["panels"]).map(mapping).flatMap { [$0] + list($0["panels"]).map(mapping) }
    }
    var dataPanels: [[String: Any]] { panels.filter { text($0["type"]) != "row" } }
    var variables: [[String: Any]] { list(dig(doc, "templating", "list")).map(mapping) }
    func title(_ p: [String: Any]) -> String { text(p["title"]) ?? "panel \(text(p["id"]) ?? "?")" }
    func targets(_ p: [String: Any]) -> [[String: Any]] { list(p["targets"]).map(mapping) }
    /// Every (where, SQL) behind the dashboard: panel targets and query variables on Postgres.
    var sqlQueries: [(source: String, sql: String, format: String)] {
        dataPanels.flatMap { p in
            targets(p).compactMap { t in text(t["rawSql"]).map { (title(p), $0, text(t["format"]) ?? "time_series") } }
        } + variables.filter { text(dig($0, "datasource", "type"))?.contains("postgres") == true }
            .compactMap { v in text(v["query"]).map { ("variable " + (text(v["name"]) ?? "?"), $0, "table") } }
    }
    var promQueries: [(source: String, expr: String)] {
        dataPanels.flatMap { p in targets(p).compactMap { t in text(t["expr"]).map { (title(p), $0) } } }
    }
}

/// uid → type of the provisioned datasources.
func provisionedDatasources() throws -> [String: String] {
    let doc = try loadYAMLMap("ops/grafana/provisioning/datasources/merclip.yml")
    var out: [String: String] = [:]
    for ds in list(doc["datasources"]).map(mapping) {
        let uid = text(ds["uid"]) ?? ""
        #expect(out[uid] == nil, "datasource uid \(uid) twice")
        out[uid] = text(ds["type"]) ?? ""
    }
    return out
}

@Suite("Grafana")
struct GrafanaTests {
    @Test("dashboard: uid, title, unique panel ids, grid positions inside 24 columns")
    func structure() throws {
        let d = try Dashboard()
        #expect(text(d.doc["uid"]) == "merclip-overview")
        #expect(!(text(d.doc["title"]) ?? "").isEmpty)
        #expect((d.doc["schemaVersion"] as? Int ?? 0) >= 36)
        let ids = d.panels.compactMap { $0["id"] as? Int }
        #expect(ids.count == d.panels.count, "every panel has an integer id")
        #expect(Set(ids).count == ids.count, "panel ids repeat: \(ids)")
        for p in d.panels {
            let g = mapping(p["gridPos"])
            let x = g["x"] as? Int ?? -1, w = g["w"] as? Int ?? 0, h = g["h"] as? Int ?? 0
            #expect(x >= 0 && w > 0 && h > 0 && x + w <= 24 && g["y"] is Int, "\(d.title(p)): gridPos \(g)")
        }
    }

    @Test("every data panel has a provisioned datasource and targets of the matching kind")
    func panelsAndTargets() throws {
        let d = try Dashboard()
        let sources = try provisionedDatasources()
        #expect(d.dataPanels.count >= 10)
        for p in d.dataPanels {
            let uid = text(dig(p, "datasource", "uid")) ?? ""
            let type = text(dig(p, "datasource", "type")) ?? ""
            #expect(sources[uid] == type, "\(d.title(p)): datasource \(uid) (\(type)) is not provisioned")
            let targets = d.targets(p)
            #expect(!targets.isEmpty, "\(d.title(p)) has no targets")
            #expect(Set(targets.compactMap { text($0["refId"]) }).count == targets.count, "\(d.title(p)): refIds repeat")
            for t in targets {
                #expect(text(dig(t, "datasource", "uid")) == uid)
                if type == "prometheus" {
                    #expect(!(text(t["expr"]) ?? "").isEmpty, "\(d.title(p)): Prometheus target without expr")
                } else {
                    #expect(t["rawQuery"] as? Bool == true && !(text(t["rawSql"]) ?? "").isEmpty, "\(d.title(p)): SQL target without rawSql")
                    #expect(["time_series", "table"].contains(text(t["format"]) ?? ""))
                }
            }
        }
    }

    @Test("the panels the issue asks for are there")
    func requiredPanels() throws {
        let d = try Dashboard()
        let sql = d.sqlQueries.map(\.sql).joined(separator: "\n")
        #expect(sql.contains("task = 'emotion'") && sql.contains("task = 'sentiment'"))
        #expect(sql.contains("results_per_stream_minute") && sql.contains("stream_id = '$stream'"))
        let prom = d.promQueries.map(\.expr).joined(separator: "\n")
        for metric in ["merclip_results_written_total", "merclip_events_consumed_total", "merclip_consumer_lag",
                       "merclip_batch_size_bucket", "merclip_end_to_end_seconds_bucket", "merclip_dlq_total"] {
            #expect(prom.contains(metric), "no panel shows \(metric)")
        }
        #expect(prom.contains("histogram_quantile(0.95"), "latency p95")
    }

    @Test("templating: stream and model_version variables on Postgres; every $variable used is defined")
    func templating() throws {
        let d = try Dashboard()
        let names = Set(d.variables.compactMap { text($0["name"]) })
        #expect(names == ["stream", "model_version"])
        for v in d.variables {
            #expect(text(v["type"]) == "query" && text(dig(v, "datasource", "uid")) == "merclip-postgres")
        }
        let uses = try NSRegularExpression(pattern: #"\$\{?([A-Za-z_][A-Za-z0-9_]*)"#)
        let texts = d.sqlQueries.map(\.sql) + d.dataPanels.map(d.title) + d.panels.map(d.title)
        for t in texts {
            for m in uses.matches(in: t, range: NSRange(t.startIndex..., in: t)) {
                let name = String(t[Range(m.range(at: 1), in: t)!])
                #expect(name.hasPrefix("__") || names.contains(name), "undefined variable $\(name) in: \(t)")
            }
        }
    }

    @Test("every PromQL expression balances and reads only metrics the worker exports")
    func promQL() throws {
        let d = try Dashboard()
        #expect(!d.promQueries.isEmpty)
        for (source, expr) in d.promQueries {
            #expect(bracketsBalance(expr), "\(source): unbalanced \(expr)")
            let names = metricNames(in: expr)
            #expect(!names.isEmpty, "\(source): no metric in \(expr)")
            #expect(names.isSubset(of: queryableSeries), "\(source): unknown metric(s) \(names.subtracting(queryableSeries))")
        }
    }

    @Test("provisioning: datasources and the dashboard folder Compose mounts")
    func provisioning() throws {
        let ds = try loadYAMLMap("ops/grafana/provisioning/datasources/merclip.yml")
        #expect(ds["apiVersion"] as? Int == 1)
        let sources = try provisionedDatasources()
        #expect(sources["merclip-prometheus"] == "prometheus")
        #expect(sources["merclip-postgres"] == "grafana-postgresql-datasource")
        let pg = list(ds["datasources"]).map(mapping).first { text($0["uid"]) == "merclip-postgres" } ?? [:]
        #expect(text(dig(pg, "jsonData", "database")) == "merclip")
        #expect(text(dig(pg, "secureJsonData", "password")) != nil && pg["password"] == nil, "the password is secure data")

        let providers = try loadYAMLMap("ops/grafana/provisioning/dashboards/merclip.yml")
        #expect(providers["apiVersion"] as? Int == 1)
        let paths = list(providers["providers"]).map(mapping).compactMap { text(dig($0, "options", "path")) }
        let mounts = try Compose().mounts("grafana")
        #expect(paths.count == 1)
        #expect(mounts.contains { $0.source == "./ops/grafana/dashboards" && $0.target == paths.first })
        let home = try Compose().env("grafana")["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] ?? ""
        #expect(home == (paths.first ?? "") + "/merclip.json")
    }

    @Test("the PromQL name extractor finds metrics and skips functions, labels, ranges and keywords")
    func extractor() {
        let expr = #"histogram_quantile(0.95, sum by (le, stage) (rate(merclip_stage_seconds_bucket{job="w"}[5m]))) > 1e-3 and on() vector(1) or up offset 5m"#
        #expect(metricNames(in: expr) == ["merclip_stage_seconds_bucket", "up"])
        #expect(metricNames(in: "sum(rate(merclip_typo_total[$__rate_interval]))") == ["merclip_typo_total"])
        #expect(!bracketsBalance("sum(rate(x[5m])"))
    }
}
