// SubtitleText: SRT and WebVTT parsing, and plain text from ASS events and markup.
import Foundation

public enum SubtitleText {
    /// Cues of an SRT or WebVTT document (both are accepted; the format is detected per cue).
    public static func parseCues(_ document: String) -> [SubtitleCue] {
        let normalized = document.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var cues: [SubtitleCue] = []
        for block in normalized.components(separatedBy: "\n\n") {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            guard let timing = lines.firstIndex(where: { $0.contains("-->") }) else { continue }
            let sides = lines[timing].components(separatedBy: "-->")
            guard sides.count == 2, let start = parseTime(sides[0]),
                  let end = parseTime(sides[1].trimmingCharacters(in: .whitespaces).components(separatedBy: " ")[0]) else { continue }
            let text = plain(lines[(timing + 1)...].joined(separator: "\n"))
            if !text.isEmpty { cues.append(SubtitleCue(start: start, end: end, text: text)) }
        }
        return cues
    }

    /// "01:02:03,456", "01:02:03.456" or "02:03.456" → seconds.
    static func parseTime(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
        let parts = t.split(separator: ":")
        guard (2...3).contains(parts.count) else { return nil }
        var seconds = 0.0
        for part in parts {
            guard let v = Double(part), v >= 0 else { return nil }
            seconds = seconds * 60 + v
        }
        return seconds
    }

    /// Text of an ASS "Dialogue" event as FFmpeg's decoders give it
    /// ("ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text"), without markup.
    public static func plainFromASSEvent(_ event: String) -> String {
        var line = Substring(event)
        if line.hasPrefix("Dialogue:") { line = line.dropFirst("Dialogue:".count) }
        var commas = 0
        var index = line.startIndex
        while index < line.endIndex, commas < 8 {
            if line[index] == "," { commas += 1 }
            index = line.index(after: index)
        }
        return plain(commas == 8 ? String(line[index...]) : String(line))
    }

    /// Removes ASS override blocks ({\i1}), HTML-like tags (<i>, <v Speaker>), ASS escapes
    /// (\N, \n, \h) and collapses whitespace.
    public static func plain(_ text: String) -> String {
        var out = ""
        var depthBrace = 0, inTag = false
        var chars = Array(text)
        chars.append(" ")
        var i = 0
        while i < chars.count - 1 {
            let c = chars[i]
            if depthBrace > 0 {
                if c == "}" { depthBrace -= 1 }
            } else if inTag {
                if c == ">" { inTag = false }
            } else if c == "{" {
                depthBrace = 1
            } else if c == "<", chars[i + 1] == "/" || chars[i + 1].isLetter {
                inTag = true
            } else if c == "\\", "Nnh".contains(chars[i + 1]) {
                out.append(" ")
                i += 1
            } else {
                out.append(c)
            }
            i += 1
        }
        out = out.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&nbsp;", with: " ")
        return out.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// The sidecar next to a media file: same path with .srt, else .vtt (also upper case).
    public static func sidecarPath(for mediaPath: String) -> String? {
        let url = URL(fileURLWithPath: mediaPath)
        let base = url.deletingPathExtension().path
        for ext in ["srt", "vtt", "SRT", "VTT"] {
            let candidate = base + "." + ext
            if candidate != mediaPath, FileManager.default.isReadableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
