// `merclip dev-broker`: an in-memory Kafka-protocol cluster for development and tests.
import ArgumentParser
import Foundation
import Kafka

struct DevBrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Run an in-memory Kafka-protocol broker (librdkafka's mock cluster) for development and tests.",
        discussion: """
        NOT a production broker: everything is in memory and lost on exit, and only what \
        librdkafka's mock cluster implements works (produce, fetch, consumer groups, \
        idempotent and transactional producers, offsets). Use real Kafka (docker-compose.yml) otherwise.

        The first line of stdout is the bootstrap servers (host:port,...); then it serves \
        until SIGTERM or SIGINT. Example:
          merclip dev-broker --brokers 3 --topic segments:4 --topic segment-results:4
        """)

    @Option(help: "Number of brokers in the cluster.")
    var brokers = 1

    @Option(name: .long, help: "Create a topic, NAME:PARTITIONS (repeatable). Unknown topics are auto-created on first use.")
    var topic: [String] = []

    func run() throws {
        let topics = try topic.map { spec -> (String, Int) in
            let parts = spec.split(separator: ":")
            guard parts.count == 2, let n = Int(parts[1]), n > 0 else {
                throw ValidationError("--topic '\(spec)' is not NAME:PARTITIONS")
            }
            return (String(parts[0]), n)
        }
        let broker = try DevBroker(brokers: brokers)
        for (name, partitions) in topics {
            try broker.createTopic(name, partitions: partitions, replicationFactor: min(brokers, 3))
        }
        print(broker.bootstrapServers)
        fflush(nil)
        FileHandle.standardError.write(Data("dev-broker: \(brokers) broker(s) at \(broker.bootstrapServers), topics \(topics.map { "\($0.0):\($0.1)" }); in memory, not durable\n".utf8))
        let sig = Signals.waitForTermination()
        FileHandle.standardError.write(Data("dev-broker: signal \(sig), shutting down\n".utf8))
        withExtendedLifetime(broker) {}
    }
}
