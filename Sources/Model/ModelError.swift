// Errors of model loading and inference, each naming the file or input and the reason.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case io(String)
    case format(String)
    case config(String)
    case missingTensors([String], file: String)
    case unexpectedTensors([String], file: String)
    case shapeMismatch(name: String, expected: [Int], found: [Int], file: String)
    case input(String)

    public var description: String {
        switch self {
        case .io(let s), .format(let s), .config(let s), .input(let s): return s
        case .missingTensors(let names, let file):
            return "\(file): missing tensor\(names.count > 1 ? "s" : "") \(list(names))"
        case .unexpectedTensors(let names, let file):
            return "\(file): unexpected tensor\(names.count > 1 ? "s" : "") \(list(names))"
        case .shapeMismatch(let name, let expected, let found, let file):
            return "\(file): tensor \(name) has shape \(found), expected \(expected)"
        }
    }

    private func list(_ names: [String]) -> String {
        let shown = names.prefix(8).joined(separator: ", ")
        return names.count > 8 ? "\(shown) and \(names.count - 8) more" : shown
    }
}
