// `merclip embed`: CLIP image or text embeddings of an HF CLIP or MER-CLIP model directory, written as .npy.
import ArgumentParser
import Foundation
import Model
import Tensor

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write image or text embeddings [N, projection_dim] (not normalised) to an .npy file.",
        discussion: """
        --model is an HF CLIP checkpoint directory (config.json with vision_config/text_config, model.safetensors) \
        or a MER-CLIP model directory (its vision and language encoders are used).
        Give exactly one input:
          --pixels X.npy          float32 images [N, 3, S, S], already CLIP-normalised
          --token-ids-file F      one sequence of token ids per line (SOS ... EOS, space separated)
          --text T ...            texts, tokenised with the directory's vocab.json/merges.txt
        Example: merclip embed --model clip-vit-b-32 --text "a photo of a cat" --output cat.npy
        """)

    @Option(help: "Model directory (HF CLIP or MER-CLIP).")
    var model: String

    @Option(help: ArgumentHelp("Images as .npy float32 [N, 3, S, S].", valueName: "images.npy"))
    var pixels: String?

    @Option(help: ArgumentHelp("File with one line of token ids per text.", valueName: "file"))
    var tokenIdsFile: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Texts to embed.", valueName: "text"))
    var text: [String] = []

    @Option(help: ArgumentHelp("Output .npy file: float32 [N, projection_dim].", valueName: "out.npy"))
    var output: String

    @OptionGroup var engineOptions: EngineOptions

    func validate() throws {
        let given = [pixels != nil, tokenIdsFile != nil, !text.isEmpty].filter { $0 }.count
        if given != 1 { throw ValidationError("give exactly one of --pixels, --token-ids-file, --text") }
    }

    func run() throws {
        let dir = try EncoderDirectory(model, precision: try engineOptions.apply())
        let out: Tensor
        if let pixels {
            out = try dir.vision.embed(try Npy.readFloat(pixels))
        } else {
            let ids: [[Int]]
            if let tokenIdsFile {
                ids = try readLines(tokenIdsFile).enumerated().map { i, line in
                    try line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map { s in
                        guard let v = Int(s) else { throw ValidationError("\(tokenIdsFile) line \(i + 1): '\(s)' is not a token id") }
                        return v
                    }
                }
            } else {
                guard let tok = dir.tokenizer else { throw ValidationError("\(model) has no vocab.json/merges.txt: use --token-ids-file") }
                ids = text.map { tok($0) }
            }
            out = try dir.text.embed(ids)
        }
        try Npy.write(out, to: output)
        FileHandle.standardError.write(Data("embed: \(dir.kind) \(model): wrote \(output) \(out.shape)\n".utf8))
    }
}
