// Text clean-up before CLIP BPE: the part of ftfy.fix_text we reproduce, HTML unescaping, whitespace, lower-case.
//
// OpenAI's tokenizer runs ftfy.fix_text, html.unescape twice, collapses whitespace and lower-cases.
// ftfy cannot be reproduced fully (its mojibake repair is heuristic); we do its deterministic steps:
//   - HTML entities unescaped once when the text has no "<" (ftfy's unescape_html="auto"),
//   - line breaks (\r\n, \r, U+2028/2029/0085) → \n, control characters removed (ftfy's set),
//   - Latin ligatures (ﬁ, ﬂ, …) expanded, full-width/half-width forms → their NFKC (ASCII) form,
//   - curly quotes → ' and " (uncurl_quotes), NFC normalisation.
// Not reproduced: mojibake / wrong-codec repair, C1-control and terminal-escape fixes.
import Foundation

public enum TextCleaner {
    /// The full clean-up: fixText, html unescape twice, strip, whitespace runs → one space, lower-case.
    public static func clean(_ text: String) -> String {
        var s = fixText(text)
        s = htmlUnescape(htmlUnescape(s))
        return collapseWhitespace(s).lowercased()
    }

    /// ftfy.fix_text's deterministic steps (see the file comment).
    public static func fixText(_ text: String) -> String {
        var s = text.contains("<") ? text : htmlUnescape(text)
        var out = String.UnicodeScalarView()
        var prevCR = false
        for u in s.unicodeScalars {
            let v = u.value
            if prevCR { prevCR = false; if v == 0x0A { continue } }
            switch v {
            case 0x0D: out.append("\n"); prevCR = true
            case 0x2028, 0x2029, 0x85: out.append("\n")
            case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC,
                 0x1D173...0x1D17A, 0xE0000...0xE007F: continue
            case 0x02BC, 0x2018...0x201B: out.append("'")
            case 0x201C...0x201F: out.append("\"")
            case 0x3000: out.append(" ")
            case 0xFF01...0xFFEE:
                out.append(contentsOf: String(Character(u)).precomposedStringWithCompatibilityMapping.unicodeScalars)
            default:
                if let lig = ligatures[v] { out.append(contentsOf: lig.unicodeScalars) } else { out.append(u) }
            }
        }
        s = String(out)
        return s.precomposedStringWithCanonicalMapping
    }

    static let ligatures: [UInt32: String] = [
        0x0132: "IJ", 0x0133: "ij", 0x0149: "ʼn", 0x01C4: "DŽ", 0x01C5: "Dž", 0x01C6: "dž", 0x01C7: "LJ", 0x01C8: "Lj",
        0x01C9: "lj", 0x01CA: "NJ", 0x01CB: "Nj", 0x01CC: "nj", 0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz",
        0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "ſt", 0xFB06: "st",
    ]

    /// Python's str.isspace: Unicode White_Space plus the separators U+001C…U+001F.
    @inline(__always)
    public static func isSpace(_ u: Unicode.Scalar) -> Bool {
        u.properties.isWhitespace || (0x1C...0x1F).contains(u.value)
    }

    /// `" ".join(text.split())`: strips and turns every whitespace run into one space.
    public static func collapseWhitespace(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for u in text.unicodeScalars {
            if isSpace(u) { pendingSpace = !out.isEmpty; continue }
            if pendingSpace { out.append(" "); pendingSpace = false }
            out.append(u)
        }
        return String(out)
    }

    /// Python's html.unescape for numeric references and the common named entities
    /// (with ";", and without it for the legacy names HTML allows that way).
    public static func htmlUnescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let u = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < u.count {
            guard u[i] == "&", i + 1 < u.count else { out.append(u[i]); i += 1; continue }
            if u[i + 1] == "#" {
                var j = i + 2
                let hex = j < u.count && (u[j] == "x" || u[j] == "X")
                if hex { j += 1 }
                let startDigits = j
                while j < u.count, hex ? u[j].properties.isASCIIHexDigit : ("0"..."9").contains(u[j]) { j += 1 }
                if j > startDigits {
                    let digits = String(String.UnicodeScalarView(u[startDigits..<j]))
                    let code = UInt32(digits.prefix(8), radix: hex ? 16 : 10) ?? 0x110000
                    out.append(numericReplacement(digits.count > 8 ? 0x110000 : code))
                    if j < u.count, u[j] == ";" { j += 1 }
                    i = j
                    continue
                }
                out.append(u[i]); i += 1; continue
            }
            // named: the longest known name, "&name;" or a legacy name without ";"
            var j = i + 1
            while j < u.count, j - i <= 32, u[j].properties.isAlphabetic || ("0"..."9").contains(u[j]) { j += 1 }
            let name = String(String.UnicodeScalarView(u[(i + 1)..<j]))
            if j < u.count, u[j] == ";", let r = entities[name] {
                out.append(contentsOf: r.unicodeScalars); i = j + 1; continue
            }
            var matched = false
            for len in stride(from: name.unicodeScalars.count, to: 1, by: -1) {
                let prefix = String(name.unicodeScalars.prefix(len))
                if legacy.contains(prefix), let r = entities[prefix] {
                    out.append(contentsOf: r.unicodeScalars); i += 1 + len; matched = true; break
                }
            }
            if !matched { out.append(u[i]); i += 1 }
        }
        return String(out)
    }

    static func numericReplacement(_ code: UInt32) -> Unicode.Scalar {
        if let w = windows1252[code] { return Unicode.Scalar(w)! }
        if code == 0 || code > 0x10FFFF || (0xD800...0xDFFF).contains(code) { return "\u{FFFD}" }
        return Unicode.Scalar(code) ?? "\u{FFFD}"
    }

    static let windows1252: [UInt32: UInt32] = [
        0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x02C6,
        0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201C,
        0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC, 0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A,
        0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
    ]

    static let legacy: Set<String> = [
        "amp", "AMP", "lt", "LT", "gt", "GT", "quot", "QUOT", "nbsp", "copy", "COPY", "reg", "REG", "iexcl", "cent",
        "pound", "curren", "yen", "brvbar", "sect", "uml", "ordf", "laquo", "not", "shy", "macr", "deg", "plusmn",
        "sup2", "sup3", "acute", "micro", "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12",
        "frac34", "iquest", "times", "divide", "szlig", "eacute", "egrave", "ecirc", "euml", "aacute", "agrave",
        "acirc", "auml", "aring", "atilde", "aelig", "ccedil", "iacute", "igrave", "icirc", "iuml", "ntilde",
        "oacute", "ograve", "ocirc", "ouml", "otilde", "oslash", "uacute", "ugrave", "ucirc", "uuml", "yacute", "yuml",
        "Eacute", "Egrave", "Ecirc", "Euml", "Aacute", "Agrave", "Acirc", "Auml", "Aring", "Atilde", "AElig", "Ccedil",
        "Iacute", "Igrave", "Icirc", "Iuml", "Ntilde", "Oacute", "Ograve", "Ocirc", "Ouml", "Otilde", "Oslash",
        "Uacute", "Ugrave", "Ucirc", "Uuml", "Yacute", "eth", "ETH", "thorn", "THORN",
    ]

    static let entities: [String: String] = {
        var e: [String: String] = [
            "amp": "&", "AMP": "&", "lt": "<", "LT": "<", "gt": ">", "GT": ">", "quot": "\"", "QUOT": "\"", "apos": "'",
            "nbsp": "\u{A0}", "copy": "©", "COPY": "©", "reg": "®", "REG": "®", "trade": "™", "hellip": "…",
            "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "sbquo": "‚", "ldquo": "“", "rdquo": "”",
            "bdquo": "„", "laquo": "«", "raquo": "»", "lsaquo": "‹", "rsaquo": "›", "euro": "€", "pound": "£",
            "yen": "¥", "cent": "¢", "curren": "¤", "deg": "°", "plusmn": "±", "times": "×", "divide": "÷",
            "middot": "·", "bull": "•", "para": "¶", "sect": "§", "iexcl": "¡", "iquest": "¿", "brvbar": "¦",
            "uml": "¨", "ordf": "ª", "ordm": "º", "not": "¬", "shy": "\u{AD}", "macr": "¯", "sup1": "¹", "sup2": "²",
            "sup3": "³", "acute": "´", "micro": "µ", "cedil": "¸", "frac14": "¼", "frac12": "½", "frac34": "¾",
            "szlig": "ß", "eth": "ð", "ETH": "Ð", "thorn": "þ", "THORN": "Þ", "dagger": "†", "Dagger": "‡",
            "permil": "‰", "prime": "′", "Prime": "″", "larr": "←", "rarr": "→", "uarr": "↑", "darr": "↓",
            "hearts": "♥", "infin": "∞", "ne": "≠", "le": "≤", "ge": "≥", "minus": "−", "thinsp": "\u{2009}",
            "ensp": "\u{2002}", "emsp": "\u{2003}", "zwj": "\u{200D}", "zwnj": "\u{200C}", "tilde": "˜", "circ": "ˆ",
        ]
        let accents: [(String, String, String)] = [
            ("acute", "áéíóúý", "ÁÉÍÓÚÝ"), ("grave", "àèìòù", "ÀÈÌÒÙ"), ("circ", "âêîôû", "ÂÊÎÔÛ"),
            ("uml", "äëïöüÿ", "ÄËÏÖÜŸ"), ("tilde", "ãñõ", "ÃÑÕ"), ("ring", "å", "Å"), ("cedil", "ç", "Ç"),
            ("slash", "ø", "Ø"),
        ]
        for (suffix, lower, upper) in accents {
            for ch in lower { e[String(ch.unicodeScalars.first!.properties.name!.split(separator: " ")[3]).lowercased() + suffix] = String(ch) }
            for ch in upper { e[String(ch.unicodeScalars.first!.properties.name!.split(separator: " ")[3]) + suffix] = String(ch) }
        }
        e["aelig"] = "æ"; e["AElig"] = "Æ"; e["oelig"] = "œ"; e["OElig"] = "Œ"
        return e
    }()
}
