// Every YAML and JSON file of the deployment parses (strictly: no duplicate keys).
import Foundation
import Testing

/// The deployment's folders and files, relative to the repository root.
let deploymentFolders = ["ops", "schemas"]
let deploymentFiles = ["docker-compose.yml"]

@Suite("Deployment files parse")
struct FilesParseTests {
    @Test("every YAML file in the deployment parses, with no duplicate keys")
    func yaml() throws {
        let files = deploymentFiles + repoFiles(under: deploymentFolders, endingWith: [".yml", ".yaml"])
        #expect(files.count >= 12, "found only \(files)")
        for file in files {
            let docs = try loadYAMLDocuments(file)
            #expect(!docs.isEmpty, "\(file) holds no YAML document")
            for doc in docs { #expect(doc is [String: Any], "\(file): a document is not a mapping") }
        }
    }

    @Test("every JSON file in the deployment parses")
    func json() throws {
        let files = repoFiles(under: deploymentFolders, endingWith: [".json"])
        #expect(files.contains("ops/grafana/dashboards/merclip.json"))
        for file in files { _ = try loadJSON(file) }
    }

    @Test("the YAML loader rejects duplicate keys and keeps quoted scalars as strings")
    func loaderIsStrict() throws {
        let dir = repoFile(".build-deploy/yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rel = dir.path.dropFirst(repoRoot.path.count + 1)
        try "a: 1\nb: 2\na: 3\n".write(to: dir.appendingPathComponent("dup.yml"), atomically: true, encoding: .utf8)
        #expect(throws: DeployTestError.self) { try loadYAMLDocuments("\(rel)/dup.yml") }
        try "a: \"8\"\nb: 8\nc: true\nd: 'no'\n".write(to: dir.appendingPathComponent("ok.yml"), atomically: true, encoding: .utf8)
        let map = try loadYAMLMap("\(rel)/ok.yml")
        #expect(map["a"] as? String == "8" && map["b"] as? Int == 8 && map["c"] as? Bool == true && map["d"] as? String == "no")
    }
}
