// The three modalities of a segment, in the names config.json and the results use.

/// Language (the transcript), vision (frames) and audio (spectrogram windows).
public enum Modality: String, Codable, Sendable, CaseIterable {
    case language, vision, audio
}
