// The CLIP BPE tokenizer against OpenAI's SimpleTokenizer ids (Tests/Fixtures/tokenizer/cases.json).
import Foundation
import Testing
@testable import Model

@Suite struct TokenizerTests {
    static let tokenizer = try! CLIPTokenizer(directory: Fixtures.assets)

    @Test func matchesOpenAICases() throws {
        let cases = try Fixtures.json(Fixtures.root + "/tokenizer/cases.json") as! [[String: Any]]
        #expect(cases.count > 20)
        var failures = 0
        for c in cases {
            let text = c["text"] as! String, ids = c["ids"] as! [Int]
            let got = Self.tokenizer(text)
            if got != ids { failures += 1 }
            #expect(got == ids, "text \(text.debugDescription)")
        }
        #expect(failures == 0)
    }

    @Test func truncationKeepsEOS() {
        let ids = Self.tokenizer(String(repeating: "hello world ", count: 100))
        #expect(ids.count == 77)
        #expect(ids.first == 49406 && ids.last == 49407)
    }

    @Test func specialTokenTextIsPlainText() {
        let ids = Self.tokenizer("a <|endoftext|> b")
        #expect(ids.filter { $0 == 49407 }.count == 1, "only the final EOS")
    }

    @Test func cleanerSteps() {
        #expect(TextCleaner.clean("  Tom &amp;amp; Jerry\n\tGO  ") == "tom & jerry go")
        #expect(TextCleaner.clean("\u{201C}hi\u{201D} it\u{2019}s \u{FB01}ne ＡＢＣ") == "\"hi\" it's fine abc")
        #expect(TextCleaner.clean("cafe\u{301}") == "caf\u{E9}")
        #expect(CLIPTokenizer.split("don't stop 42x!!").map { String($0) } == ["don", "'t", "stop", "4", "2", "x", "!!"])
    }

    @Test(arguments: Fixtures.shapes)
    func parityTokenIds(shape: String) throws {
        // the fixture models use a truncated vocabulary; token_ids.txt was made with it
        let tok = try CLIPTokenizer(directory: Fixtures.model(shape, "clip"))
        let expected = try Fixtures.json(Fixtures.parity(shape) + "/segments.json") as! [[String: Any]]
        for seg in expected {
            guard let text = seg["transcript"] as? String, let ids = seg["token_ids"] as? [Int] else { continue }
            #expect(tok(text) == ids, "\(shape) transcript \(text)")
        }
    }

    /// Texts whose ids must not change with the bounds (short words, long texts, many words).
    static let boundedCases: [String] = [
        "I am really happy about this, thank you so much",
        String(repeating: "hello world ", count: 100),
        String(repeating: "supercalifragilistic ", count: 40) + "end",
        (0..<300).map { "w\($0)" }.joined(separator: " "),
        String(repeating: "ab", count: 120),      // a 240-letter word: below the per-word cap
        String(repeating: " \n\t ", count: 5000) + "after a lot of whitespace",
    ]

    @Test("the bounds leave the ids of ordinary texts unchanged", arguments: boundedCases)
    func boundsKeepIds(text: String) {
        let tok = Self.tokenizer
        var full = [tok.sos] + tok.encode(text) + [tok.eos]
        if full.count > tok.maxTokens { full = Array(full.prefix(tok.maxTokens)); full[tok.maxTokens - 1] = tok.eos }
        #expect(tok(text) == full)
        #expect(Array(tok.encode(text, limit: 20).prefix(20)) == Array(tok.encode(text).prefix(20)))
    }

    @Test("a huge word is cut at maxWordBytes before BPE; words past the 77th token are never encoded")
    func hugeWordIsCut() {
        let tok = Self.tokenizer
        let word = String(repeating: "abcdefghij", count: 4000)   // 40,000 letters
        let cut = String(word.prefix(CLIPTokenizer.maxWordBytes))
        #expect(tok.encode(word) == tok.encode(cut))
        #expect(tok(word + " tail") == tok(cut + " tail"))
        #expect(tok(word).count <= 77 && tok(word).last == tok.eos)
        // Only as many pre-tokens are split as can reach the output.
        let many = String(repeating: "x ", count: 50_000)
        #expect(CLIPTokenizer.split(TextCleaner.clean(many), limit: 75).count == 75)
        #expect(tok(many).count == 77)
    }
}
