// A scoring task of config.json: its kind (multi-label or single-label), query word, labels and threshold.
import Foundation

public enum TaskKind: String, Codable, Sendable {
    case multiLabel = "multi_label"
    case singleLabel = "single_label"
}

public struct TaskConfig: Codable, Sendable, Equatable {
    public var name: String
    public var kind: TaskKind
    /// The query word ("Emotion"); "" for none.
    public var query: String
    /// Decision threshold of a multi_label task (default 0.6); nil for single_label.
    public var threshold: Double?
    public var labels: [String]

    public init(name: String, kind: TaskKind, query: String = "", threshold: Double? = nil, labels: [String]) {
        self.name = name; self.kind = kind; self.query = query; self.labels = labels
        self.threshold = kind == .multiLabel ? (threshold ?? 0.6) : nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), kind: try c.decode(TaskKind.self, forKey: .kind),
                  query: try c.value(.query, ""), threshold: try c.decodeIfPresent(Double.self, forKey: .threshold),
                  labels: try c.decode([String].self, forKey: .labels))
    }

    public static let emotion = TaskConfig(name: "emotion", kind: .multiLabel, query: "Emotion", threshold: 0.6,
                                           labels: ["happy", "sad", "angry", "surprise", "disgust", "fear"])
    public static let sentiment = TaskConfig(name: "sentiment", kind: .singleLabel, query: "Sentiment",
                                             labels: ["positive", "negative"])
    public static let known = [emotion, sentiment]
}
