// Test support: paths into the repository and loaders for its YAML and JSON files.
import Foundation
import Yams

/// The repository root (two levels above this file's folder).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../..").standardized

/// A file in the repository, by path relative to the root.
func repoFile(_ path: String) -> URL { repoRoot.appendingPathComponent(path) }

/// The text of a repository file; the error names the file.
func readRepoText(_ path: String) throws -> String {
    do { return try String(contentsOf: repoFile(path), encoding: .utf8) } catch {
        throw DeployTestError("cannot read \(path): \(error)")
    }
}

/// Every YAML document in a file, as plain Swift values: [String: Any], [Any], String, Int, Double, Bool,
/// NSNull. Plain scalars resolve as YAML 1.2's core schema does (true/false, numbers, null); quoted ones
/// stay strings. A duplicate mapping key is an error, as it is for Compose and Kubernetes.
func loadYAMLDocuments(_ path: String) throws -> [Any] {
    let text = try readRepoText(path)
    do {
        let parser = try Parser(yaml: text)
        var docs: [Any] = []
        while let root = try parser.nextRoot() { docs.append(try plainValue(root, in: path)) }
        return docs
    } catch let e as DeployTestError { throw e } catch {
        throw DeployTestError("\(path) is not valid YAML: \(error)")
    }
}

private func plainValue(_ node: Node, in path: String) throws -> Any {
    switch node {
    case .mapping(let mapping):
        var map: [String: Any] = [:]
        for (key, value) in mapping {
            let name = key.string ?? "\(key)"
            if map[name] != nil {
                throw DeployTestError("\(path): duplicate key \(name) at line \((key.mark?.line).map(String.init) ?? "?")")
            }
            map[name] = try plainValue(value, in: path)
        }
        return map
    case .sequence(let sequence):
        return try sequence.map { try plainValue($0, in: path) }
    case .scalar(let scalar):
        guard scalar.style == .plain else { return scalar.string }
        switch scalar.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        case "", "~", "null", "Null", "NULL": return NSNull()
        default:
            if let int = Int(scalar.string) { return int }
            if let double = Double(scalar.string) { return double }
            return scalar.string
        }
    }
}

/// The single YAML document in a file, as a mapping.
func loadYAMLMap(_ path: String) throws -> [String: Any] {
    let docs = try loadYAMLDocuments(path)
    guard docs.count == 1, let map = docs[0] as? [String: Any] else {
        throw DeployTestError("\(path) should hold one YAML mapping, holds \(docs.count) document(s)")
    }
    return map
}

/// A JSON file as plain Swift values.
func loadJSON(_ path: String) throws -> Any {
    do { return try JSONSerialization.jsonObject(with: Data(contentsOf: repoFile(path))) } catch {
        throw DeployTestError("\(path) is not valid JSON: \(error)")
    }
}

/// Every file under the given folders (relative to the root) whose name ends with one of `suffixes`.
func repoFiles(under folders: [String], endingWith suffixes: [String]) -> [String] {
    var found: [String] = []
    for folder in folders {
        let base = repoFile(folder)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
        for case let url as URL in walker where suffixes.contains(where: { url.lastPathComponent.hasSuffix($0) }) {
            found.append(folder + "/" + url.path.dropFirst(base.path.count + 1))
        }
    }
    return found.sorted()
}

struct DeployTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Dictionary lookup through a path of keys, e.g. `dig(doc, "spec", "template", "metadata")`.
func dig(_ value: Any?, _ keys: String...) -> Any? {
    var current = value
    for key in keys { current = (current as? [String: Any])?[key] }
    return current
}

/// A mapping value, or an empty mapping when the value is absent or not a mapping.
func mapping(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

/// A sequence value, or an empty list when the value is absent or not a sequence.
func list(_ value: Any?) -> [Any] { value as? [Any] ?? [] }

/// A scalar as text: strings as they are, numbers and booleans as YAML writes them.
func text(_ value: Any?) -> String? {
    switch value {
    case let s as String: return s
    case let i as Int: return String(i)
    case let d as Double: return String(d)
    case let b as Bool: return b ? "true" : "false"
    default: return nil
    }
}
