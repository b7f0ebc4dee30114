// An HF CLIPModel config.json, read when a model directory is converted from HF CLIP weights.
import Foundation
import Tensor

/// An HF `CLIPModel` config.json: `projection_dim`, `vision_config`, `text_config`.
public struct HFCLIPConfig: DefaultedConfig, Sendable {
    public var projectionDim = 512
    public var vision = VisionConfig()
    public var text = TextConfig()

    enum CodingKeys: String, CodingKey {
        case projectionDim = "projection_dim", vision = "vision_config", text = "text_config"
    }

    public init() {}

    public static func load(_ path: String) throws -> HFCLIPConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.io("\(path): cannot read: \(whyUnreadable(path))") }
        do {
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            guard let object, object["vision_config"] != nil, object["text_config"] != nil else {
                throw ModelError.config("not a CLIP config: vision_config and text_config are required")
            }
            return try HFCLIPConfig.decode(withDefaults: object)
        } catch let e as ModelError {
            throw ModelError.config("\(path): \(e)")
        } catch { throw ModelError.config("\(path): \(error)") }
    }
}
