// ops/k8s: kinds, required fields, selectors, probes, references to ConfigMaps and Secrets, KEDA.
import Foundation
import Testing

struct Manifests {
    /// (file, document) for every manifest, the example Secrets included; kustomization.yaml excluded.
    let docs: [(file: String, doc: [String: Any])]

    init() throws {
        var all: [(String, [String: Any])] = []
        for file in repoFiles(under: ["ops/k8s"], endingWith: [".yaml", ".yml"]) where !file.hasSuffix("kustomization.yaml") {
            for doc in try loadYAMLDocuments(file) { all.append((file, mapping(doc))) }
        }
        docs = all
    }

    func all(_ kind: String) -> [[String: Any]] { docs.filter { text($0.doc["kind"]) == kind }.map(\.doc) }
    func one(_ kind: String) throws -> [String: Any] {
        let found = all(kind)
        guard found.count == 1 else { throw DeployTestError("expected one \(kind), found \(found.count)") }
        return found[0]
    }
    func name(_ doc: [String: Any]) -> String { text(dig(doc, "metadata", "name")) ?? "" }
    var configData: [String: String] {
        all("ConfigMap").reduce(into: [:]) { acc, cm in acc.merge(mapping(cm["data"]).compactMapValues { text($0) }) { a, _ in a } }
    }
    /// Secret name → its keys (from the example Secrets, which document the real ones).
    var secretKeys: [String: Set<String>] {
        all("Secret").reduce(into: [:]) { acc, s in
            acc[name(s)] = Set(mapping(s["stringData"]).keys).union(mapping(s["data"]).keys)
        }
    }
    /// The pod templates of the Deployment and the Job.
    var podSpecs: [(owner: String, spec: [String: Any])] {
        (all("Deployment") + all("Job")).map { (name($0), mapping(dig($0, "spec", "template", "spec"))) }
    }
}

private func labelsMatch(_ selector: Any?, _ labels: Any?) -> Bool {
    let sel = mapping(selector).compactMapValues { text($0) }
    let lab = mapping(labels).compactMapValues { text($0) }
    return !sel.isEmpty && sel.allSatisfy { lab[$0.key] == $0.value }
}

@Suite("Kubernetes manifests")
struct KubernetesTests {
    @Test("every manifest has apiVersion, kind and metadata.name; the kinds are the expected ones")
    func requiredFields() throws {
        let m = try Manifests()
        let apiVersions = ["Deployment": "apps/v1", "ConfigMap": "v1", "Secret": "v1", "Service": "v1",
                           "PodDisruptionBudget": "policy/v1", "ScaledObject": "keda.sh/v1alpha1",
                           "TriggerAuthentication": "keda.sh/v1alpha1", "Job": "batch/v1"]
        for (file, doc) in m.docs {
            let kind = text(doc["kind"]) ?? ""
            #expect(apiVersions[kind] != nil, "\(file): unexpected kind \(kind)")
            #expect(text(doc["apiVersion"]) == apiVersions[kind], "\(file): \(kind) has apiVersion \(text(doc["apiVersion"]) ?? "none")")
            #expect(!m.name(doc).isEmpty, "\(file): \(kind) has no metadata.name")
            #expect(doc["spec"] != nil || doc["data"] != nil || doc["stringData"] != nil, "\(file): \(kind) is empty")
        }
        #expect(Set(m.docs.compactMap { text($0.doc["kind"]) }) == Set(apiVersions.keys))
    }

    @Test("kustomization lists every manifest but the example Secrets")
    func kustomization() throws {
        let k = try loadYAMLMap("ops/k8s/kustomization.yaml")
        #expect(text(k["kind"]) == "Kustomization")
        let listed = Set(list(k["resources"]).compactMap { text($0) })
        let present = Set(repoFiles(under: ["ops/k8s"], endingWith: [".yaml"]).map { String($0.dropFirst("ops/k8s/".count)) })
        #expect(listed == present.subtracting(["kustomization.yaml", "secret.example.yaml"]))
        let images = list(k["images"]).map(mapping)
        let m = try Manifests()
        for (owner, spec) in m.podSpecs {
            for c in list(spec["containers"]).map(mapping) {
                #expect(images.contains { text($0["name"]) == text(c["image"]) }, "\(owner): image \(text(c["image"]) ?? "") is not set by kustomize")
            }
        }
    }

    @Test("the Deployment's selector matches its pods, as do the PDB's, the Service's and KEDA's target")
    func selectors() throws {
        let m = try Manifests()
        let deploy = try m.one("Deployment")
        let podLabels = dig(deploy, "spec", "template", "metadata", "labels")
        #expect(labelsMatch(dig(deploy, "spec", "selector", "matchLabels"), podLabels))
        #expect(labelsMatch(dig(try m.one("PodDisruptionBudget"), "spec", "selector", "matchLabels"), podLabels))
        #expect(labelsMatch(dig(try m.one("Service"), "spec", "selector"), podLabels))
        let target = mapping(dig(try m.one("ScaledObject"), "spec", "scaleTargetRef"))
        #expect(text(target["name"]) == m.name(deploy) && (text(target["kind"]) ?? "Deployment") == "Deployment")
        let pdb = mapping(dig(try m.one("PodDisruptionBudget"), "spec"))
        #expect((pdb["maxUnavailable"] != nil) != (pdb["minAvailable"] != nil), "a PDB sets one of maxUnavailable, minAvailable")
    }

    @Test("the worker container: probes on /healthz and /readyz, resources, non-root, read-only model volume")
    func workerContainer() throws {
        let m = try Manifests()
        let deploy = try m.one("Deployment")
        let spec = mapping(dig(deploy, "spec", "template", "spec"))
        let containers = list(spec["containers"]).map(mapping)
        #expect(containers.count == 1)
        let c = containers[0]
        let metricsPort = Int(m.configData["MERCLIP_METRICS_PORT"] ?? "") ?? -1
        let ports = list(c["ports"]).map(mapping)
        #expect(ports.contains { text($0["name"]) == "metrics" && $0["containerPort"] as? Int == metricsPort })
        func probe(_ key: String) -> (path: String?, port: String?) {
            let get = mapping(dig(c, key, "httpGet"))
            return (text(get["path"]), text(get["port"]))
        }
        #expect(probe("livenessProbe").path == "/healthz")
        #expect(probe("readinessProbe").path == "/readyz")
        #expect(probe("startupProbe").path == "/healthz")
        for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
            let port = probe(key).port
            #expect(port == "metrics" || port == String(metricsPort), "\(key) probes port \(port ?? "none")")
        }
        for kind in ["requests", "limits"] {
            for resource in ["cpu", "memory"] {
                #expect(text(dig(c, "resources", kind, resource)) != nil, "resources.\(kind).\(resource) missing")
            }
        }
        #expect(dig(spec, "securityContext", "runAsNonRoot") as? Bool == true)
        #expect(dig(spec, "securityContext", "runAsUser") as? Int == 10001, "the Dockerfile's user")
        #expect(dig(c, "securityContext", "allowPrivilegeEscalation") as? Bool == false)
        #expect((spec["terminationGracePeriodSeconds"] as? Int ?? 0) >= 30, "time to drain a batch on SIGTERM")
        let mounts = list(c["volumeMounts"]).map(mapping)
        let volumes = Set(list(spec["volumes"]).map(mapping).compactMap { text($0["name"]) })
        for mount in mounts { #expect(volumes.contains(text(mount["name"]) ?? ""), "mount \(text(mount["name"]) ?? "") has no volume") }
        let model = m.configData["MERCLIP_MODEL"] ?? "?"
        #expect(mounts.contains { text($0["mountPath"]) == model && $0["readOnly"] as? Bool == true }, "model \(model) is not a read-only volume")
        #expect(list(c["args"]).compactMap { text($0) } == ["worker"])
    }

    @Test("ConfigMap, Secret and $(VAR) references resolve")
    func references() throws {
        let m = try Manifests()
        let configMaps = Set(m.all("ConfigMap").map(m.name))
        let secrets = m.secretKeys
        #expect(Set(secrets.keys) == ["merclip-kafka", "merclip-postgres", "merclip-postgres-owner"])
        for (owner, spec) in m.podSpecs {
            for c in list(spec["containers"]).map(mapping) {
                for from in list(c["envFrom"]).map(mapping) {
                    if let cm = text(dig(from, "configMapRef", "name")) { #expect(configMaps.contains(cm), "\(owner): no ConfigMap \(cm)") }
                }
                var defined: Set<String> = Set(m.configData.keys)
                for e in list(c["env"]).map(mapping) {
                    let name = text(e["name"]) ?? ""
                    let ref = mapping(dig(e, "valueFrom", "secretKeyRef"))
                    if !ref.isEmpty {
                        let s = text(ref["name"]) ?? "", k = text(ref["key"]) ?? ""
                        #expect(secrets[s]?.contains(k) == true, "\(owner): env \(name) reads missing \(s)/\(k)")
                    }
                    let value = text(e["value"]) ?? ""
                    let refs = try NSRegularExpression(pattern: #"\$\(([A-Za-z_][A-Za-z0-9_]*)\)"#)
                    for r in refs.matches(in: value, range: NSRange(value.startIndex..., in: value)) {
                        let ref = String(value[Range(r.range(at: 1), in: value)!])
                        #expect(defined.contains(ref), "\(owner): \(name) uses $(\(ref)) before it is defined")
                    }
                    defined.insert(name)
                }
                #expect(defined.isSuperset(of: ["PGUSER", "PGPASSWORD", "MERCLIP_POSTGRES_URL"]), "\(owner): Postgres credentials")
            }
            for v in list(spec["volumes"]).map(mapping) {
                let secret = mapping(v["secret"])
                guard let s = text(secret["secretName"]) else { continue }
                for item in list(secret["items"]).map(mapping) {
                    #expect(secrets[s]?.contains(text(item["key"]) ?? "") == true, "\(owner): volume reads missing \(s)/\(text(item["key"]) ?? "")")
                }
            }
        }
        let props = (list(dig(try m.one("Deployment"), "spec", "template", "spec", "containers")).map(mapping).first
            .map { list($0["env"]).map(mapping) } ?? []).first { text($0["name"]) == "MERCLIP_KAFKA_PROPERTIES" }
        let value = text(props?["value"]) ?? ""
        #expect(value.contains("security.protocol=SASL_SSL") && value.contains("sasl.password=$(KAFKA_SASL_PASSWORD)"))
        let pg = m.configData["MERCLIP_POSTGRES_URL"] ?? ""
        #expect(pg.contains("sslmode=verify-full") && !pg.contains("@"), "TLS verified, no credentials in the URL")
        for (_, doc) in m.docs where text(doc["kind"]) == "TriggerAuthentication" {
            for ref in list(dig(doc, "spec", "secretTargetRef")).map(mapping) {
                let s = text(ref["name"]) ?? "", k = text(ref["key"]) ?? ""
                #expect(secrets[s]?.contains(k) == true, "TriggerAuthentication reads missing \(s)/\(k)")
            }
        }
    }

    @Test("KEDA scales on the group's lag on segments, up to the partition count, with SASL")
    func scaledObject() throws {
        let m = try Manifests()
        let so = try m.one("ScaledObject")
        let spec = mapping(so["spec"])
        let partitions = try Compose().partitions
        #expect(spec["maxReplicaCount"] as? Int == partitions, "maxReplicaCount must equal the partitions of segments")
        #expect((spec["minReplicaCount"] as? Int ?? 0) >= 1)
        let triggers = list(spec["triggers"]).map(mapping)
        #expect(triggers.count == 1)
        let t = triggers.first ?? [:]
        #expect(text(t["type"]) == "kafka")
        let meta = mapping(t["metadata"])
        for (_, v) in meta { #expect(v is String, "KEDA trigger metadata values are strings") }
        #expect(text(meta["consumerGroup"]) == m.configData["MERCLIP_GROUP"])
        #expect(text(meta["topic"]) == m.configData["MERCLIP_TOPIC"])
        #expect(text(meta["bootstrapServers"]) == m.configData["MERCLIP_BROKERS"])
        #expect((Int(text(meta["lagThreshold"]) ?? "") ?? 0) > 0)
        let auth = try m.one("TriggerAuthentication")
        #expect(text(dig(t, "authenticationRef", "name")) == m.name(auth))
        let params = Set(list(dig(auth, "spec", "secretTargetRef")).map(mapping).compactMap { text($0["parameter"]) })
        #expect(params.isSuperset(of: ["sasl", "username", "password", "tls", "ca"]))
    }

    @Test("the migrate Job runs `merclip db migrate` as the schema owner, once")
    func migrateJob() throws {
        let m = try Manifests()
        let job = try m.one("Job")
        let spec = mapping(dig(job, "spec", "template", "spec"))
        #expect(["OnFailure", "Never"].contains(text(spec["restartPolicy"]) ?? ""))
        let c = list(spec["containers"]).map(mapping).first ?? [:]
        #expect(list(c["args"]).compactMap { text($0) } == ["db", "migrate"])
        let users = list(c["env"]).map(mapping).filter { text($0["name"]) == "PGUSER" }
        #expect(users.map { text(dig($0, "valueFrom", "secretKeyRef", "name")) } == ["merclip-postgres-owner"])
    }
}
