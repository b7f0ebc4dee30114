// CLI helper: open a model directory that is either an HF CLIP checkpoint or a MER-CLIP model, for embed/tokenize.
import Foundation
import Model
import Tensor

/// The encoders and tokenizer the embed and tokenize commands need, from either kind of directory.
struct EncoderDirectory {
    let kind: String
    let vision: CLIPVisionEncoder
    let text: CLIPTextEncoder
    let tokenizer: CLIPTokenizer?

    /// `precision` nil: MERCLIP_PRECISION, else fp32.
    init(_ dir: String, precision: Precision? = nil) throws {
        guard FileManager.default.fileExists(atPath: dir + "/config.json") else {
            throw ModelError.io("\(dir): no config.json (expected an HF CLIP or MER-CLIP model directory)")
        }
        if CLIPModel.isCLIPDirectory(dir) {
            let m = try CLIPModel(directory: dir, precision: precision)
            kind = "HF CLIP"; vision = m.vision; text = m.text; tokenizer = m.tokenizer
        } else {
            let m = try MERCLIPModel(directory: dir, precision: precision)
            kind = "MER-CLIP"; vision = m.vision; text = m.language; tokenizer = m.tokenizer
        }
    }

    /// Only the tokenizer (no weights read): vocab.json + merges.txt of the directory, with max tokens from config.
    static func tokenizer(_ dir: String) throws -> CLIPTokenizer {
        var maxTokens = 77
        if CLIPModel.isCLIPDirectory(dir) {
            maxTokens = try HFCLIPConfig.load(dir + "/config.json").text.maxPositionEmbeddings
        } else if FileManager.default.fileExists(atPath: dir + "/config.json") {
            maxTokens = try MERCLIPConfig.load(dir + "/config.json").preprocess.maxTextTokens
        }
        guard FileManager.default.fileExists(atPath: dir + "/vocab.json") else {
            throw ModelError.io("\(dir): no vocab.json / merges.txt")
        }
        return try CLIPTokenizer(directory: dir, maxTokens: maxTokens)
    }
}

/// Lines of a text file ("-" for stdin), without the trailing empty line.
func readLines(_ path: String) throws -> [String] {
    let data: Data
    if path == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else {
        guard let d = FileManager.default.contents(atPath: path) else { throw ModelError.io("\(path): cannot read: \(whyUnreadable(path))") }
        data = d
    }
    guard let text = String(data: data, encoding: .utf8) else { throw ModelError.io("\(path): not UTF-8 text") }
    var lines = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
    if lines.last == "" { lines.removeLast() }
    return lines
}
