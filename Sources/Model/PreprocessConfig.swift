// The media front end's parameters (config.json `preprocess`): frame count, image normalisation, audio, text length.
import Foundation

/// The front end the model was trained with; serving must apply exactly the same.
public struct PreprocessConfig: DefaultedConfig, Sendable, Equatable {
    /// Frames sampled per segment, at evenly spaced times.
    public var frames = 12
    /// Per-channel RGB normalisation of frames (CLIP's values).
    public var imageMean = [0.48145466, 0.4578275, 0.40821073]
    public var imageStd = [0.26862954, 0.26130258, 0.27577711]
    public var audio = AudioPreprocessConfig()
    /// Transcript tokens kept, start and end tokens included.
    public var maxTextTokens = 77

    enum CodingKeys: String, CodingKey {
        case frames, imageMean = "image_mean", imageStd = "image_std", audio, maxTextTokens = "max_text_tokens"
    }

    public init() {}
}
