// SettingError: an environment variable whose value cannot be used, named with the value and the reason.
struct SettingError: Error, CustomStringConvertible {
    let variable: String
    /// nil where the value may hold secrets and the reason names the faulty part.
    let value: String?
    let reason: String
    /// The option the variable stands in for.
    let option: String

    var description: String {
        "\(variable)\(value.map { "='\($0)'" } ?? ""): \(reason) (the environment value of \(option))"
    }
}
