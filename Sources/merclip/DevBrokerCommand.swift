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

        Outages on demand: it reads commands from stdin, one per line, and answers each with one \
        line on stdout, `ok ...` or `error: ...`:
          down [ID|all]   take broker ID (1...N), or every broker, down: its connections are \
        closed and new ones refused; topics, offsets and groups are kept
          up [ID|all]     let it accept connections again
        Without an argument, `all` is meant. The end of stdin is not a stop signal: it keeps \
        serving until SIGTERM or SIGINT.
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
        let control = Thread {
            while let line = readLine() {
                guard let answer = Self.control(broker, line) else { continue }
                print(answer)
                fflush(nil)
                FileHandle.standardError.write(Data("dev-broker: \(line.trimmingCharacters(in: .whitespaces)): \(answer)\n".utf8))
            }
        }
        control.name = "dev-broker-control"
        control.start()
        let sig = Signals.waitForTermination()
        FileHandle.standardError.write(Data("dev-broker: signal \(sig), shutting down\n".utf8))
        withExtendedLifetime(broker) {}
    }

    /// Carries out one stdin command (`down [ID|all]`, `up [ID|all]`); returns the answer line,
    /// or nil for a blank line.
    static func control(_ broker: DevBroker, _ line: String) -> String? {
        let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let verb = words.first else { return nil }
        guard verb == "down" || verb == "up", words.count <= 2 else {
            return "error: '\(line)' is not a command: use `down [ID|all]` or `up [ID|all]`"
        }
        let ids: [Int32]
        switch words.count == 2 ? words[1] : "all" {
        case "all": ids = broker.brokerIDs
        case let arg:
            guard let id = Int32(arg), broker.brokerIDs.contains(id) else {
                return "error: no broker '\(arg)': the ids are \(broker.brokerIDs.map(String.init).joined(separator: ","))"
            }
            ids = [id]
        }
        do {
            for id in ids { try broker.setBroker(id, up: verb == "up") }
        } catch {
            return "error: \(error)"
        }
        return "ok \(verb) \(ids.map(String.init).joined(separator: ","))"
    }
}
