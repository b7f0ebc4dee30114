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

    /// The backend and precision of the linear layers.
    public let compute: ComputeMode

    /// Loads `dir` strictly: every expected tensor with its shape, nothing unexpected.
    /// `precision` nil: MERCLIP_PRECISION, else fp32; `mode` sets backend and precision directly.
    public init(directory dir: String, precision: Precision? = nil, mode: ComputeMode? = nil) throws {
        let c = try HFCLIPConfig.load(dir + "/config.json")
        let path = dir + "/model.safetensors"
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelError.io("\(dir): no model.safetensors (PyTorch .bin checkpoints are not supported; convert with safetensors)")
        }
        let file = try SafetensorsFile(path: path)
        let w = try Weights.bind(CLIPModel.specs(c), from: file, ignore: ["logit_scale"])
        config = c
        compute = try mode ?? AutoPrecision.resolve(try precision ?? Precision.fromEnvironment(),
            shape: (rows: 12 * c.vision.tokens, out: c.vision.intermediateSize, in: c.vision.hiddenSize)).0
        vision = try CLIPVisionEncoder(w, config: c.vision, projectionDim: c.projectionDim, mode: compute)
        text = try CLIPTextEncoder(w, config: c.text, projectionDim: c.projectionDim, mode: compute)
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
