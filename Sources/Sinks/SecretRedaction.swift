// SecretRedaction: connection strings and URLs with their passwords replaced by ***, for errors and logs.
import Foundation

public enum SecretRedaction {
    /// A libpq connection string with every password hidden: URL userinfo (`user:secret@`), a URL
    /// query parameter (`?password=secret`) and the key=value form (`password=secret`, `password='a b'`).
    public static func connectionString(_ text: String) -> String {
        var s = url(text)
        // key=value and query forms: the value runs to the next space/&, or is a quoted string.
        let pattern = #"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)"#
        if let re = try? NSRegularExpression(pattern: pattern) {
            s = re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "$1***")
        }
        return s
    }

    /// A URL (or text holding URLs) with the password of every `scheme://user:password@host` hidden.
    public static func url(_ text: String) -> String {
        let pattern = #"([A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*):[^\s/@]*@"#
        guard let re = try? NSRegularExpression(pattern: pattern) else { return text }
        return re.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1:***@")
    }
}
