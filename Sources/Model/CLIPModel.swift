// An HF CLIP checkpoint directory (config.json with vision_config/text_config, model.safetensors) loaded as it is.
import Foundation
import Tensor

public struct CLIPModel: Sendable {
    public let config: HFCLIPConfig
    public let vision: CLIPVisionEncoder
    public let text: CLIPTextEncoder
    /// The BPE tokenizer when the directory has vocab.json + merges.txt.
    public let tokenizer: CLIPTokenizer?

    /// Every tensor an HF CLIPModel checkpoint holds (besides `logit_scale` and `*position_ids`).
    public static func specs(_ c: HFCLIPConfig) -> [TensorSpec] {
        CLIPVisionEncoder.specs(c.vision, projectionDim: c.projectionDim)
            + CLIPTextEncoder.specs(c.text, projectionDim: c.projectionDim)
    }

    /// Loads `dir` strictly: every expected tensor with its shape, nothing unexpected.
    public init(directory dir: String) throws {
        let c = try HFCLIPConfig.load(dir + "/config.json")
        let path = dir + "/model.safetensors"
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelError.io("\(dir): no model.safetensors (PyTorch .bin checkpoints are not supported; convert with safetensors)")
        }
        let file = try SafetensorsFile(path: path)
        let w = try Weights.bind(CLIPModel.specs(c), from: file, ignore: ["logit_scale"])
        config = c
        vision = try CLIPVisionEncoder(w, config: c.vision, projectionDim: c.projectionDim)
        text = try CLIPTextEncoder(w, config: c.text, projectionDim: c.projectionDim)
        let fm = FileManager.default
        if fm.fileExists(atPath: dir + "/vocab.json"), fm.fileExists(atPath: dir + "/merges.txt") {
            tokenizer = try CLIPTokenizer(directory: dir, maxTokens: c.text.maxPositionEmbeddings)
        } else {
            tokenizer = nil
        }
    }

    /// True when `dir/config.json` is an HF CLIP config (has vision_config and text_config).
    public static func isCLIPDirectory(_ dir: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: dir + "/config.json"),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return json["vision_config"] != nil && json["text_config"] != nil
    }
}
