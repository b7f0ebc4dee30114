// docker-compose.yml: services, images, healthchecks, dependencies, and a worker that scales.
import Foundation
import Testing

struct Compose {
    let doc: [String: Any]
    init() throws { doc = try loadYAMLMap("docker-compose.yml") }
    var services: [String: Any] { mapping(doc["services"]) }
    func service(_ name: String) -> [String: Any] { mapping(services[name]) }
    func env(_ name: String) -> [String: String] {
        mapping(service(name)["environment"]).compactMapValues { text($0) }
    }
    /// Long-form depends_on: dependency → condition.
    func dependsOn(_ name: String) -> [String: String] {
        mapping(service(name)["depends_on"]).mapValues { text(mapping($0)["condition"]) ?? "" }
    }
    /// The healthcheck's test as one string, nil when absent or disabled.
    func healthcheck(_ name: String) -> String? {
        let hc = mapping(service(name)["healthcheck"])
        if hc["disable"] as? Bool == true { return nil }
        if let s = hc["test"] as? String { return s }
        let parts = list(hc["test"]).compactMap { text($0) }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
    /// Short-form volume mounts: (source, target).
    func mounts(_ name: String) -> [(source: String, target: String)] {
        list(service(name)["volumes"]).compactMap { text($0) }.map { spec in
            // The source may be a ${VAR:-default} expression, which holds a colon itself.
            var source = "", rest = Substring(spec)
            if spec.hasPrefix("${"), let close = spec.firstIndex(of: "}") {
                source = String(spec[...close]); rest = spec[spec.index(after: close)...].drop { $0 == ":" }
            } else {
                source = String(spec.prefix { $0 != ":" }); rest = spec.dropFirst(source.count).drop { $0 == ":" }
            }
            let target = String(rest.prefix { $0 != ":" })
            return (source, target.isEmpty ? source : target)
        }
    }
    var oneShots: Set<String> { ["kafka-init", "migrate", "db-users"] }
    var longRunning: [String] { services.keys.filter { !oneShots.contains($0) }.sorted() }
    /// The partition count kafka-init gives `segments`.
    var partitions: Int? { Int(env("kafka-init")["PARTITIONS"] ?? "") }
}

@Suite("docker-compose.yml")
struct ComposeTests {
    @Test("has the services of the stack, each on a pinned image")
    func servicesAndImages() throws {
        let c = try Compose()
        for name in ["kafka", "kafka-init", "postgres", "migrate", "db-users", "worker", "replay-worker", "prometheus", "grafana"] {
            #expect(c.services[name] != nil, "service \(name) missing")
        }
        let expectedImage = ["kafka": "apache/kafka:", "kafka-init": "apache/kafka:", "postgres": "postgres:15",
                             "db-users": "postgres:15", "prometheus": "prom/prometheus:", "grafana": "grafana/grafana:"]
        for (name, prefix) in expectedImage {
            let image = text(c.service(name)["image"]) ?? ""
            #expect(image.hasPrefix(prefix), "\(name) runs \(image), expected \(prefix)…")
        }
        for (name, _) in c.services {
            let image = text(c.service(name)["image"]) ?? ""
            #expect(!image.isEmpty && !image.hasSuffix(":latest") && image.contains(":"), "\(name): image \(image) is not pinned")
        }
        for name in ["migrate", "worker", "replay-worker"] {
            #expect(text(c.service(name)["build"]) == ".", "\(name) builds the repository's Dockerfile")
            #expect(text(c.service(name)["image"]) == text(c.service("worker")["image"]))
        }
        #expect(FileManager.default.fileExists(atPath: repoFile("Dockerfile").path))
        #expect(list(c.service("migrate")["command"]).compactMap { text($0) } == ["db", "migrate"])
    }

    @Test("Kafka runs in KRaft mode, one node, with consistent listeners and a valid cluster id")
    func kraft() throws {
        let env = try Compose().env("kafka")
        #expect(Set((env["KAFKA_PROCESS_ROLES"] ?? "").split(separator: ",").map(String.init)) == ["broker", "controller"])
        #expect(env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "\(env["KAFKA_NODE_ID"] ?? "?")@kafka:9093")
        func names(_ key: String) -> Set<String> {
            Set((env[key] ?? "").split(separator: ",").map { String($0.split(separator: ":")[0]) })
        }
        let listeners = names("KAFKA_LISTENERS")
        #expect(names("KAFKA_ADVERTISED_LISTENERS").isSubset(of: listeners))
        #expect(listeners == names("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"))
        #expect(listeners.contains(env["KAFKA_CONTROLLER_LISTENER_NAMES"] ?? "?"))
        #expect(listeners.contains(env["KAFKA_INTER_BROKER_LISTENER_NAME"] ?? "?"))
        #expect(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1", "one node: internal topics need replication 1")
        #expect(env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false")
        // A Kafka cluster id is a UUID in unpadded base64url: 22 characters, 16 bytes.
        var id = (env["CLUSTER_ID"] ?? "").replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        #expect(id.count == 22)
        id += "=="
        #expect(Data(base64Encoded: id)?.count == 16, "CLUSTER_ID is not a base64url UUID")
    }

    @Test("kafka-init creates the four topics with the partition count")
    func topics() throws {
        let c = try Compose()
        let script = list(c.service("kafka-init")["command"]).compactMap { text($0) }.joined(separator: "\n")
        #expect(script.contains("/opt/kafka/bin/kafka-topics.sh") && script.contains("--if-not-exists"))
        for topic in ["segments", "segment-results", "segments-dlq", "segments-replay"] {
            #expect(script.contains("create \(topic) "), "topic \(topic) is not created")
        }
        #expect((c.partitions ?? 0) >= 2)
    }

    @Test("shell variables in one-shot commands are escaped as $$, so Compose leaves them to the shell")
    func escapedShellVariables() throws {
        let c = try Compose()
        let single = try NSRegularExpression(pattern: #"(?<!\$)\$(?!\$)"#)
        for name in ["kafka-init", "db-users"] {
            let script = list(c.service(name)["command"]).compactMap { text($0) }.joined(separator: "\n")
            #expect(script.contains("$$"), "\(name) uses no shell variable")
            #expect(single.numberOfMatches(in: script, range: NSRange(script.startIndex..., in: script)) == 0,
                    "\(name): a single $ would be interpolated by Compose")
        }
    }

    @Test("long-running services have healthchecks; one-shot services do not restart")
    func healthchecks() throws {
        let c = try Compose()
        for name in c.longRunning {
            #expect(c.healthcheck(name) != nil, "\(name) has no healthcheck")
        }
        #expect(c.healthcheck("worker")?.contains("/healthz") == true)
        #expect(c.healthcheck("replay-worker")?.contains("/healthz") == true)
        #expect(c.healthcheck("postgres")?.contains("pg_isready") == true)
        #expect(c.healthcheck("kafka")?.contains("kafka-broker-api-versions.sh") == true)
        for name in c.oneShots { #expect(text(c.service(name)["restart"]) == "no", "\(name) must run once") }
    }

    @Test("dependencies name existing services with conditions that can be met, without cycles")
    func dependencies() throws {
        let c = try Compose()
        for (name, _) in c.services {
            for (dep, condition) in c.dependsOn(name) {
                #expect(c.services[dep] != nil, "\(name) depends on unknown \(dep)")
                switch condition {
                case "service_healthy": #expect(c.healthcheck(dep) != nil, "\(name) waits for \(dep) to be healthy; it has no healthcheck")
                case "service_completed_successfully": #expect(c.oneShots.contains(dep), "\(dep) is not a one-shot")
                default: Issue.record("\(name) → \(dep): condition \(condition) (expected service_healthy or service_completed_successfully)")
                }
            }
        }
        // Acyclic, and the workers come after topics, migrations and users.
        func closure(_ name: String, _ seen: Set<String> = []) -> Set<String> {
            var all: Set<String> = []
            for dep in c.dependsOn(name).keys {
                if seen.contains(dep) { Issue.record("dependency cycle through \(dep)"); continue }
                all.insert(dep); all.formUnion(closure(dep, seen.union([name])))
            }
            return all
        }
        for name in ["worker", "replay-worker"] {
            #expect(closure(name).isSuperset(of: ["kafka", "kafka-init", "postgres", "migrate", "db-users"]))
            #expect(c.dependsOn(name)["kafka-init"] == "service_completed_successfully")
        }
        #expect(c.dependsOn("migrate")["postgres"] == "service_healthy")
        #expect(c.dependsOn("db-users")["migrate"] == "service_completed_successfully")
        #expect(closure("grafana").isSuperset(of: ["prometheus", "db-users"]))
    }

    @Test("the worker scales: no container_name, no host ports, one consumer group, full configuration")
    func workerScales() throws {
        let c = try Compose()
        let worker = c.service("worker")
        #expect(worker["container_name"] == nil)
        #expect(worker["ports"] == nil, "a fixed host port stops --scale worker=N")
        let env = c.env("worker")
        for key in ["MERCLIP_BROKERS", "MERCLIP_GROUP", "MERCLIP_TOPIC", "MERCLIP_RESULTS_TOPIC", "MERCLIP_DLQ_TOPIC",
                    "MERCLIP_POSTGRES_URL", "MERCLIP_MODEL", "MERCLIP_METRICS_PORT"] {
            #expect(!(env[key] ?? "").isEmpty, "worker lacks \(key)")
        }
        #expect(env["MERCLIP_TOPIC"] == "segments" && env["MERCLIP_RESULTS_TOPIC"] == "segment-results"
                && env["MERCLIP_DLQ_TOPIC"] == "segments-dlq")
        #expect(env["MERCLIP_BROKERS"] == "kafka:9092")
        #expect(env["MERCLIP_POSTGRES_URL"]?.contains("merclip_worker") == true, "workers log in as the writer user")
        let port = env["MERCLIP_METRICS_PORT"] ?? "?"
        #expect(list(worker["expose"]).compactMap { text($0) }.contains(port))
        #expect(c.healthcheck("worker")?.contains(":\(port)/healthz") == true)
        #expect(c.mounts("worker").contains { $0.target == env["MERCLIP_MODEL"] }, "the model directory is a volume")
        #expect(c.mounts("worker").contains { env["MERCLIP_MEDIA_ROOTS"] == $0.target })

        let replay = c.service("replay-worker"), renv = c.env("replay-worker")
        #expect(list(replay["profiles"]).compactMap { text($0) } == ["replay"])
        #expect(renv["MERCLIP_TOPIC"] == "segments-replay")
        #expect(renv["MERCLIP_GROUP"] != env["MERCLIP_GROUP"], "the replay worker needs its own group")
        #expect(replay["container_name"] == nil && replay["ports"] == nil)
    }

    @Test("bind mounts from the repository exist, and Prometheus and Grafana reach services by name")
    func mountsAndNames() throws {
        let c = try Compose()
        for (name, _) in c.services {
            for m in c.mounts(name) where m.source.hasPrefix("./ops") {
                #expect(FileManager.default.fileExists(atPath: repoFile(String(m.source.dropFirst(2))).path),
                        "\(name) mounts missing \(m.source)")
            }
        }
        #expect(c.mounts("prometheus").contains { $0.source == "./ops/prometheus" && $0.target == "/etc/prometheus" })
        #expect(c.mounts("grafana").contains { $0.source == "./ops/grafana/provisioning" && $0.target == "/etc/grafana/provisioning" })
        #expect(c.mounts("db-users").contains { $0.source == "./ops/compose/db-users.sql" })
        let sources = try loadYAMLMap("ops/grafana/provisioning/datasources/merclip.yml")
        for ds in list(sources["datasources"]).map(mapping) {
            let host = (text(ds["url"]) ?? "").replacingOccurrences(of: "http://", with: "").split(separator: ":")[0]
            #expect(c.services[String(host)] != nil, "datasource \(text(ds["name"]) ?? "?") points at unknown host \(host)")
        }
        // Variables the provisioning file expands must be in Grafana's environment.
        let provisioning = try readRepoText("ops/grafana/provisioning/datasources/merclip.yml")
            .split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }.joined(separator: "\n")
        let genv = c.env("grafana")
        let refs = try NSRegularExpression(pattern: #"\$\{?([A-Z_][A-Z0-9_]*)"#)
        let found = refs.matches(in: provisioning, range: NSRange(provisioning.startIndex..., in: provisioning))
        #expect(found.count == 2, "the user and the password come from the environment")
        for m in found {
            let name = String(provisioning[Range(m.range(at: 1), in: provisioning)!])
            #expect(genv[name] != nil, "Grafana's environment lacks \(name)")
        }
    }
}
