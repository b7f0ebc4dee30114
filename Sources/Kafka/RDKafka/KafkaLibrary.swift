// KafkaLibrary: facts about the linked librdkafka.
import CRDKafka

public enum KafkaLibrary {
    /// The linked librdkafka version, e.g. "2.0.2".
    public static var version: String { String(cString: rd_kafka_version_str()) }
}
