// Config files whose keys are all optional: the file's keys are laid over the encoded defaults, then decoded.
import Foundation

/// A config type whose `init()` holds every documented default.
public protocol DefaultedConfig: Codable {
    init()
}

extension DefaultedConfig {
    /// Decodes a JSON object in which any key, at any depth of nested objects, may be missing or null:
    /// such a key keeps the value `Self()` gives it. Arrays and values are taken as the file has them.
    public static func decode(withDefaults data: Data) throws -> Self {
        guard let given = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.config("the file is not a JSON object")
        }
        return try decode(withDefaults: given)
    }

    /// The same, for a JSON object already parsed.
    public static func decode(withDefaults given: [String: Any]) throws -> Self {
        guard let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self())) as? [String: Any] else {
            throw ModelError.config("the defaults of \(Self.self) do not encode as a JSON object")
        }
        let merged = overlay(given, on: defaults)
        return try JSONDecoder().decode(Self.self, from: JSONSerialization.data(withJSONObject: merged))
    }
}

/// A key that may be missing or null, with the value it then takes.
extension KeyedDecodingContainer {
    func value<T: Decodable>(_ key: Key, _ fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}

/// `top` laid over `base`: objects merge key by key, null counts as absent, everything else replaces.
func overlay(_ top: [String: Any], on base: [String: Any]) -> [String: Any] {
    var out = base
    for (key, value) in top where !(value is NSNull) {
        if let object = value as? [String: Any], let under = base[key] as? [String: Any] {
            out[key] = overlay(object, on: under)
        } else {
            out[key] = value
        }
    }
    return out
}
