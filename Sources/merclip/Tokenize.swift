// `merclip tokenize`: CLIP BPE token ids of each line of a text file.
import ArgumentParser
import Foundation
import Model

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the CLIP token ids (SOS ... EOS) of each input line, one line of ids per line.",
        discussion: """
        Uses the model directory's vocab.json and merges.txt (HF CLIP or MER-CLIP directory; weights are not read). \
        Text is cleaned as OpenAI's tokenizer does (HTML entities, whitespace, lower-case; the deterministic \
        parts of ftfy) and truncated to the model's maximum (77) keeping EOS last.
        """)

    @Option(help: "Model directory with vocab.json and merges.txt.")
    var model: String

    @Option(help: "Text file, one input per line ('-' for stdin).")
    var textFile: String

    func run() throws {
        let tok = try EncoderDirectory.tokenizer(model)
        var out = ""
        for line in try readLines(textFile) { out += tok(line).map(String.init).joined(separator: " ") + "\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
