// The shipped CLIP BPE vocabulary (assets/clip-bpe) has OpenAI's layout.
import Foundation
import Testing

@Suite("CLIP vocabulary asset")
struct VocabularyAssetTests {
    @Test("49408 tokens, special tokens last, 48894 merges")
    func layout() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../assets/clip-bpe").standardized
        let vocab = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("vocab.json"))) as! [String: Int]
        #expect(vocab.count == 49408)
        #expect(vocab["<|startoftext|>"] == 49406)
        #expect(vocab["<|endoftext|>"] == 49407)
        #expect(vocab["a</w>"] != nil)
        let merges = try String(contentsOf: dir.appendingPathComponent("merges.txt"), encoding: .utf8)
            .split(separator: "\n")
        #expect(merges.first == "#version: 0.2")
        #expect(merges.count - 1 == 48894)
    }
}
