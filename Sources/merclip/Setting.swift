// Setting: every command's option values with their environment fallback, read and checked in one place.
import ArgumentParser
import Foundation
import Kafka
import Tensor

/// An option's value is the flag's when given, else its environment variable's (an empty variable is
/// unset), else the default. A variable that does not parse or is out of range is a SettingError naming
/// the variable and its value; a flag out of range is a ValidationError naming the flag.
struct Setting {
    let environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    /// The variable's value, nil when unset or empty.
    func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }

    func string(_ flag: String?, _ variable: String) -> String? { flag ?? self.variable(variable) }

    func string(_ flag: String?, _ variable: String, default fallback: String) -> String {
        string(flag, variable) ?? fallback
    }

    func required(_ flag: String?, _ variable: String, option: String) throws -> String {
        guard let value = string(flag, variable), !value.isEmpty else {
            throw ValidationError("\(option) or \(variable) is required")
        }
        return value
    }

    /// An integer in `range`: the flag, else the variable, else `fallback` (nil: no value).
    func int(_ flag: Int?, _ variable: String, option: String, default fallback: Int? = nil,
             in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)"
            : "between \(range.lowerBound) and \(range.upperBound)"
        if let flag {
            guard range.contains(flag) else { throw ValidationError("\(option) \(flag): must be \(bounds)") }
            return flag
        }
        guard let text = self.variable(variable) else { return fallback }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw SettingError(variable: variable, value: text, reason: "not an integer", option: option)
        }
        guard range.contains(value) else {
            throw SettingError(variable: variable, value: text, reason: "must be \(bounds)", option: option)
        }
        return value
    }

    func int(_ flag: Int?, _ variable: String, option: String, default fallback: Int,
             in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        try int(flag, variable, option: option, default: Optional(fallback), in: range)!
    }

    /// A number of at least `minimum`: the flag, else the variable, else `fallback`.
    func double(_ flag: Double?, _ variable: String, option: String, default fallback: Double, minimum: Double) throws -> Double {
        if let flag {
            guard flag >= minimum else { throw ValidationError("\(option) \(flag): must be at least \(minimum)") }
            return flag
        }
        guard let text = self.variable(variable) else { return fallback }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value >= minimum else {
            throw SettingError(variable: variable, value: text, reason: "not a number of at least \(minimum)", option: option)
        }
        return value
    }

    /// A positive number: the flag, else the variable, else nil.
    func positiveDouble(_ flag: Double?, _ variable: String, option: String) throws -> Double? {
        if let flag {
            guard flag > 0 else { throw ValidationError("\(option) \(flag): must be positive") }
            return flag
        }
        guard let text = self.variable(variable) else { return nil }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0 else {
            throw SettingError(variable: variable, value: text, reason: "not a positive number", option: option)
        }
        return value
    }

    /// An on/off switch: the flag when given, else the variable (1/true/yes or 0/false/no), else off.
    func switchOn(_ flag: Bool, _ variable: String, option: String) throws -> Bool {
        if flag { return true }
        guard let text = self.variable(variable)?.lowercased() else { return false }
        if ["1", "true", "yes", "on"].contains(text) { return true }
        if ["0", "false", "no", "off"].contains(text) { return false }
        throw SettingError(variable: variable, value: text, reason: "expected 1, true, yes, 0, false or no", option: option)
    }

    /// One of a fixed set of names (`parse` returns nil for others): the flag, else the variable, else `fallback`.
    func choice<T>(_ flag: String?, _ variable: String, option: String, default fallback: T, names: [String],
                   _ parse: (String) -> T?) throws -> T {
        let expected = "expected " + names.joined(separator: ", ")
        if let flag {
            guard let value = parse(flag) else { throw ValidationError("\(option) '\(flag)': \(expected)") }
            return value
        }
        guard let text = self.variable(variable) else { return fallback }
        guard let value = parse(text) else {
            throw SettingError(variable: variable, value: text, reason: expected, option: option)
        }
        return value
    }

    /// The repeated flag's values, else the variable split at `separators` (empty parts dropped).
    func list(_ flags: [String], _ variable: String, separators: Set<Character>) -> [String] {
        guard flags.isEmpty else { return flags }
        return (self.variable(variable) ?? "").split(whereSeparator: { separators.contains($0) })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// librdkafka properties from `-X key=value` flags and MERCLIP_KAFKA_PROPERTIES (`;`- or
    /// newline-separated); a flag wins over the variable for the same key.
    func kafkaProperties(_ flags: [String]) throws -> [String: String] {
        var properties = try KafkaConfig.parseExtra(flags)
        let fromEnvironment = list([], "MERCLIP_KAFKA_PROPERTIES", separators: [";", "\n"])
        do {
            properties.merge(try KafkaConfig.parseExtra(fromEnvironment)) { flag, _ in flag }
        } catch {
            throw SettingError(variable: "MERCLIP_KAFKA_PROPERTIES", value: nil, reason: (error as? KafkaError)?.reason ?? "\(error)",
                               option: "-X")
        }
        return properties
    }

    /// The engine's precision: the flag, else MERCLIP_PRECISION, else nil (the model loader's default, fp32).
    func precision(_ flag: String?) throws -> Precision? {
        if let flag { return try Precision(parsing: flag) }
        guard let text = variable("MERCLIP_PRECISION") else { return nil }
        do { return try Precision(parsing: text, source: "MERCLIP_PRECISION") } catch {
            throw SettingError(variable: "MERCLIP_PRECISION", value: text, reason: "expected fp32, bf16, int8 or auto",
                               option: "--precision")
        }
    }

    /// BLAS threads from `--threads`, else MERCLIP_THREADS (checked here: BLAS alone would ignore a bad
    /// value), else BLAS's default of all cores.
    func applyBLASThreads(_ flag: Int?) throws {
        if let n = try int(flag, "MERCLIP_THREADS", option: "--threads", in: 1...Int.max) { BLAS.setThreads(n) }
    }
}
