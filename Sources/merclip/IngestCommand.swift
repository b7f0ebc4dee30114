// `merclip ingest`: publish segment events for media files.
import ArgumentParser
import Foundation
import Kafka
import Media
import Sinks
import Worker

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Publish one segment event per segment of each media file (key = stream id).",
        discussion: """
        A long recording becomes consecutive windows of --segment-seconds (the last one shorter). \
        Events name the file as a file:// URI (the worker must have a --media-root above it), or carry \
        the bytes inline with --inline (small files only). Segment ids are \
        <stream id>-<content tag>-<start ms>, the tag being 12 hex digits of a hash of the file's bytes: \
        several files in one stream get distinct ids, and ingesting the same file again gives the same \
        ids (its results are updated, not duplicated).
        """)

    @Option(help: "Kafka bootstrap servers (MERCLIP_BROKERS).") var brokers: String?
    @Option(help: "Topic to publish to.") var topic = "segments"
    @Option(help: "Stream id of every event (default: the file's name without extension).") var streamID: String?
    @Option(help: "Cut each file into windows of this many seconds (default: one segment per file).") var segmentSeconds: Double?
    @Option(help: "File whose text is every segment's transcript.") var transcriptFile: String?
    @Flag(help: "Embed the media bytes in the event (base64) instead of a file:// URI.") var inline = false
    @Option(name: .customShort("X"), help: "librdkafka property key=value; repeatable (MERCLIP_KAFKA_PROPERTIES, ';'- or newline-separated).")
    var kafkaProperties: [String] = []
    @Argument(help: "Media files.") var media: [String]
    @OptionGroup var logging: LogOptions

    func run() async throws {
        let env = Setting()
        try logging.apply(env)
        Log.routeKafkaLogs()
        let brokers = try env.required(brokers, "MERCLIP_BROKERS", option: "--brokers")
        if let s = segmentSeconds, !(s > 0) { throw ValidationError("--segment-seconds must be > 0") }
        let transcript = try transcriptFile.map { try String(contentsOfFile: $0, encoding: .utf8) }
        let producer = try KafkaProducer(config: KafkaProducerConfig(
            common: KafkaConfig(bootstrapServers: brokers, extra: try env.kafkaProperties(kafkaProperties))))
        var total = 0
        var failed: [String] = []
        for path in media {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            let duration: Double?
            do {
                guard FileManager.default.isReadableFile(atPath: url.path) else { throw ValidationError("no such readable file") }
                duration = try MediaProbe.duration(of: .file(url.path))
            } catch {
                FileHandle.standardError.write(Data("ingest: skipping \(path): \(error)\n".utf8))
                failed.append(path)
                continue
            }
            let stream = streamID ?? url.deletingPathExtension().lastPathComponent
            let tag: String
            do { tag = try IngestCommand.contentTag(url.path) } catch {
                FileHandle.standardError.write(Data("ingest: skipping \(path): \(error)\n".utf8))
                failed.append(path)
                continue
            }
            let windows = IngestCommand.windows(duration: duration ?? 0, segmentSeconds: segmentSeconds)
            let mediaRef: SegmentEvent.Media = inline
                ? .inline(try Data(contentsOf: url), formatHint: url.pathExtension)
                : .uri(url.absoluteString)
            for (start, length) in windows {
                let startMs = Int64((start * 1000).rounded()), durationMs = max(1, Int64((length * 1000).rounded()))
                let event = SegmentEvent(segmentID: "\(stream)-\(tag)-\(startMs)", streamID: stream, startMs: startMs,
                                         durationMs: durationMs, media: mediaRef, transcript: transcript,
                                         labelSet: nil, producedAt: Date(),
                                         metadataJSON: "{\"source\":\(jsonString(url.lastPathComponent))}")
                let d = try await producer.send(topic: topic, key: Array(stream.utf8), value: event.encoded())
                print("\(event.segmentID) \(stream) [\(startMs) ms, +\(durationMs) ms] → \(topic)[\(d.partition)]@\(d.offset)")
                total += 1
            }
        }
        FileHandle.standardError.write(Data("ingest: \(total) event(s) published to \(topic)\n".utf8))
        if !failed.isEmpty {
            FileHandle.standardError.write(Data("ingest: \(failed.count) file(s) not published: \(failed.joined(separator: " "))\n".utf8))
            throw ExitCode(1)
        }
    }

    /// 12 hex digits of the 64-bit FNV-1a hash of the file's bytes (read in 1 MiB pieces).
    static func contentTag(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("\(path): cannot open") }
        defer { try? handle.close() }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            for b in chunk { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return String(String(h, radix: 16).leftPadded(to: 16).prefix(12))
    }

    /// (start, length) windows covering [0, duration).
    static func windows(duration: Double, segmentSeconds: Double?) -> [(Double, Double)] {
        guard let n = segmentSeconds, duration > n else { return [(0, max(duration, 0.001))] }
        var out: [(Double, Double)] = []
        var s = 0.0
        while s < duration - 1e-6 {
            out.append((s, min(n, duration - s)))
            s += n
        }
        return out
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
