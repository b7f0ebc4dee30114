// CLIP byte-level BPE tokenizer over an HF vocab.json + merges.txt, following OpenAI's SimpleTokenizer:
// clean (TextCleaner), split with CLIP's pattern, bytes → unicode table, BPE with "</w>", SOS … EOS.
//
// Special-token strings inside the text ("<|endoftext|>") are tokenised as plain text, as the training
// reference does: a transcript cannot inject an EOS.
import Foundation
import Tensor

public struct CLIPTokenizer: Sendable {
    public let vocab: [String: Int]
    let ranks: [String: Int]          // "a b" → merge rank
    public let sos: Int
    public let eos: Int
    public let maxTokens: Int
    let byteEncoder: [String]         // byte → unicode string

    /// Loads `vocab.json` and `merges.txt` from `dir`.
    public init(directory dir: String, maxTokens: Int = 77) throws {
        try self.init(vocabPath: dir + "/vocab.json", mergesPath: dir + "/merges.txt", maxTokens: maxTokens)
    }

    public init(vocabPath: String, mergesPath: String, maxTokens: Int = 77) throws {
        guard let vdata = FileManager.default.contents(atPath: vocabPath) else { throw ModelError.io("\(vocabPath): cannot read: \(whyUnreadable(vocabPath))") }
        guard let v = try? JSONSerialization.jsonObject(with: vdata) as? [String: Any] else {
            throw ModelError.format("\(vocabPath): not a JSON object of token → id")
        }
        var vocab: [String: Int] = [:]
        for (k, id) in v { if let n = id as? NSNumber { vocab[k] = n.intValue } }
        guard let m = FileManager.default.contents(atPath: mergesPath), let text = String(data: m, encoding: .utf8) else {
            throw ModelError.io("\(mergesPath): cannot read: \(whyUnreadable(mergesPath))")
        }
        var ranks: [String: Int] = [:]
        var r = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if r == 0 && ranks.isEmpty && line.hasPrefix("#version") { continue }
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            ranks[parts[0] + " " + parts[1]] = r
            r += 1
        }
        guard let sos = vocab["<|startoftext|>"], let eos = vocab["<|endoftext|>"] else {
            throw ModelError.format("\(vocabPath): no <|startoftext|> / <|endoftext|> tokens")
        }
        self.vocab = vocab; self.ranks = ranks; self.sos = sos; self.eos = eos; self.maxTokens = maxTokens
        byteEncoder = CLIPTokenizer.bytesToUnicode()
    }

    /// GPT-2/CLIP's reversible byte → printable-unicode table.
    static func bytesToUnicode() -> [String] {
        var bs = Array(33...126) + Array(161...172) + Array(174...255)
        var cs = bs
        var n = 0
        for b in 0..<256 where !bs.contains(b) { bs.append(b); cs.append(256 + n); n += 1 }
        var table = [String](repeating: "", count: 256)
        for (b, c) in zip(bs, cs) { table[b] = String(Character(Unicode.Scalar(UInt32(c))!)) }
        return table
    }

    /// Longest pre-token (in UTF-8 bytes) given to BPE; a longer one is cut there. BPE costs grow
    /// with the square of a word's length (a 40,000-letter word took 15 s); a word of 256 bytes
    /// takes well under a millisecond and already yields more tokens than fit in 77.
    public static let maxWordBytes = 256

    /// SOS + BPE ids + EOS, at most `maxTokens` (truncation keeps EOS last). Only the pre-tokens that
    /// can still reach the output are encoded: each yields at least one id.
    public func callAsFunction(_ text: String) -> [Int] {
        var ids = [sos] + encode(text, limit: maxTokens - 2) + [eos]
        if ids.count > maxTokens {
            ids = Array(ids.prefix(maxTokens))
            ids[maxTokens - 1] = eos
        }
        return ids
    }

    /// BPE ids of the cleaned text without SOS/EOS, stopping once `limit` ids are reached (the ids
    /// before that are the same as without a limit). Unknown symbols (only possible with a truncated
    /// vocabulary) map to EOS, as HF's unk_token. Pre-tokens longer than `maxWordBytes` are cut.
    public func encode(_ text: String, limit: Int = .max) -> [Int] {
        var ids: [Int] = []
        for piece in CLIPTokenizer.split(TextCleaner.clean(text), limit: limit) {
            guard ids.count < limit else { break }
            let symbols = String(piece).utf8.prefix(CLIPTokenizer.maxWordBytes).map { byteEncoder[Int($0)] }
            for s in bpe(symbols) { ids.append(vocab[s] ?? eos) }
        }
        return ids
    }

    /// CLIP's pre-tokenisation: 's|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+ over code points;
    /// at most `limit` pre-tokens.
    public static func split(_ text: String, limit: Int = .max) -> [Substring.UnicodeScalarView] {
        let s = text.unicodeScalars
        var out: [Substring.UnicodeScalarView] = []
        var i = s.startIndex
        func kind(_ u: Unicode.Scalar) -> Int {   // 0 space, 1 letter, 2 number, 3 other
            if TextCleaner.isSpace(u) { return 0 }
            switch u.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return 1
            case .decimalNumber, .letterNumber, .otherNumber: return 2
            default: return 3
            }
        }
        while i < s.endIndex, out.count < limit {
            let u = s[i]
            if u == "'" {
                let rest = s[s.index(after: i)...]
                var matched = false
                for c in ["s", "t", "re", "ve", "m", "ll", "d"] where rest.starts(with: c.unicodeScalars) {
                    let end = s.index(i, offsetBy: 1 + c.unicodeScalars.count)
                    out.append(s[i..<end]); i = end; matched = true; break
                }
                if matched { continue }
            }
            switch kind(u) {
            case 0: i = s.index(after: i)
            case 2: let j = s.index(after: i); out.append(s[i..<j]); i = j
            case let k:
                var j = s.index(after: i)
                while j < s.endIndex, kind(s[j]) == k { j = s.index(after: j) }
                out.append(s[i..<j]); i = j
            }
        }
        return out
    }

    /// Byte-pair merges of one pre-token (symbols are byte-encoded characters; the last gets "</w>").
    func bpe(_ chars: [String]) -> [String] {
        guard !chars.isEmpty else { return [] }
        var word = chars
        word[word.count - 1] += "</w>"
        while word.count > 1 {
            var best = Int.max, bestAt = -1
            for k in 0..<(word.count - 1) {
                if let r = ranks[word[k] + " " + word[k + 1]], r < best { best = r; bestAt = k }
            }
            if bestAt < 0 { break }
            let first = word[bestAt], second = word[bestAt + 1]
            var merged: [String] = []
            merged.reserveCapacity(word.count)
            var k = 0
            while k < word.count {
                if k < word.count - 1, word[k] == first, word[k + 1] == second {
                    merged.append(first + second); k += 2
                } else {
                    merged.append(word[k]); k += 1
                }
            }
            word = merged
        }
        return word
    }
}
