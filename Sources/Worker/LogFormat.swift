// LogFormat: how a log line is written, `text` (TIME LEVEL COMPONENT: message key=value ...) or `json`.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `2026-11-25T08:52:54.590Z warn worker: Kafka brokers unreachable why="1/1 brokers are down"`.
    case text
    /// One JSON object per line: time, level, component, message, then the fields.
    case json
}
