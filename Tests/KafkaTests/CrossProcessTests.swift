// Messages cross process boundaries through the dev broker, into and out of consumer groups.
import Foundation
import Kafka
import TestSupport
import Testing

@Suite("Kafka across processes", .serialized)
struct CrossProcessTests {
    @Test("kcat produces in one process; a Swift consumer group reads and commits in another")
    func kcatToSwiftGroup() async throws {
        let broker = try DevBrokerProcess(brokers: 3, topics: ["events:2"])
        try run("kcat", ["-P", "-b", broker.bootstrap, "-t", "events", "-K:"],
                input: "s1:one\ns2:two\ns3:three\n")

        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(
            common: KafkaConfig(bootstrapServers: broker.bootstrap), groupID: "readers"))
        try consumer.subscribe(topics: ["events"])
        var got: [KafkaMessage] = []
        let deadline = Date().addingTimeInterval(90)   // generous: joining a group on a loaded machine
        while got.count < 3 && Date() < deadline {
            if let m = try await consumer.poll(timeoutMs: 500) { got.append(m) }
        }
        #expect(Set(got.map { String(decoding: $0.value, as: UTF8.self) }) == ["one", "two", "three"])
        #expect(Set(got.compactMap { $0.key.map { String(decoding: $0, as: UTF8.self) } }) == ["s1", "s2", "s3"])

        try consumer.commit(got)
        for m in got {
            let committed = try consumer.committed(topic: "events", partition: m.partition)
            #expect(committed != nil && committed! > m.offset)
        }
        consumer.close()
        #expect(broker.stop() == 0, "dev-broker exits 0 on SIGTERM")
    }

    @Test("a Swift idempotent producer writes with headers; kcat in a consumer group reads it")
    func swiftProducerToKcatGroup() async throws {
        let broker = try DevBrokerProcess(topics: ["results:4"])
        let producer = try KafkaProducer(config: KafkaProducerConfig(
            common: KafkaConfig(bootstrapServers: broker.bootstrap)))
        var partitions: Set<Int32> = []
        for i in 0..<8 {
            let d = try await producer.send(topic: "results", key: Array("stream-\(i)".utf8),
                                            value: Array("payload-\(i)".utf8),
                                            headers: [KafkaHeader(key: "model", string: "v1")])
            #expect(d.offset >= 0)
            partitions.insert(d.partition)
        }
        #expect(partitions.count > 1, "keys spread over partitions")
        let out = try run("kcat", ["-b", broker.bootstrap, "-G", "kcat-group", "-X", "auto.offset.reset=earliest",
                                   "-e", "-q", "-f", "%k|%s|%h\n", "results"])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 8)
        #expect(Set(lines) == Set((0..<8).map { "stream-\($0)|payload-\($0)|model=v1" }))
    }

    @Test("an unreachable cluster is a retriable error, not a hang")
    func unreachable() throws {
        #expect(throws: KafkaError.self) {
            _ = try KafkaMetadata.brokerCount(KafkaConfig(bootstrapServers: "127.0.0.1:1"), timeoutMs: 1_000)
        }
        do {
            _ = try KafkaMetadata.brokerCount(KafkaConfig(bootstrapServers: "127.0.0.1:1"), timeoutMs: 1_000)
        } catch let e as KafkaError {
            #expect(e.isRetriable)
        }
    }

    @Test("bad librdkafka properties are rejected with the key named")
    func badProperty() throws {
        do {
            _ = try KafkaProducer(config: KafkaProducerConfig(
                common: KafkaConfig(bootstrapServers: "127.0.0.1:1", extra: ["no.such.key": "1"])))
            Issue.record("expected an error")
        } catch let e as KafkaError {
            #expect(e.reason.contains("no.such.key"))
        }
        #expect(throws: KafkaError.self) { _ = try KafkaConfig.parseExtra(["novalue"]) }
        #expect(try KafkaConfig.parseExtra(["security.protocol=SASL_SSL", "a=b=c"]) ==
                ["security.protocol": "SASL_SSL", "a": "b=c"])
    }
}
