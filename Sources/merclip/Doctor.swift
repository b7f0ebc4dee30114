// `merclip doctor`: linked library versions, tools, and optionally the services.
import ArgumentParser
import Foundation
import Kafka
import Media
import Sinks
import Tensor

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the linked C libraries and their versions; check tools, the Kafka brokers and Postgres.",
        discussion: """
        Exits 1 when something is missing or unreachable, saying what and how to install it.
        Without --brokers or --postgres (or MERCLIP_BROKERS, MERCLIP_POSTGRES_URL, as the worker reads them) \
        only the local installation is checked.
        """)

    @Option(help: "Kafka bootstrap servers to check, host:port[,host:port] (MERCLIP_BROKERS).")
    var brokers: String?

    @Option(help: "Postgres URL to check, e.g. postgresql://merclip@127.0.0.1:55432/merclip (MERCLIP_POSTGRES_URL).")
    var postgres: String?

    @Option(name: .customShort("X"), help: "Extra librdkafka property key=value (SASL, SSL, ...); repeatable (MERCLIP_KAFKA_PROPERTIES).")
    var kafkaProperties: [String] = []

    @Flag(help: "Also require the development tools (ffmpeg, espeak-ng, kcat, PostgreSQL server).")
    var dev = false

    func run() async throws {
        var problems: [String] = []
        print("libraries:")
        print("  librdkafka     \(KafkaLibrary.version)")
        print("  OpenBLAS       \(BLAS.config.trimmingCharacters(in: .whitespaces)) (core \(BLAS.coreName), \(BLAS.threads) threads)")
        print("  oneDNN         \(OneDNN.version) (ISA \(OneDNN.isa))")
        print("  precisions     \(ComputeMode.available.map(\.description).joined(separator: ", "))")
        if BLAS.isGenericCore {
            print("  warning: OpenBLAS runs its generic \(BLAS.coreName) kernels on this CPU; fp32 runs on oneDNN instead "
                  + "(set OPENBLAS_CORETYPE, e.g. Haswell or SkylakeX, to use OpenBLAS at full speed)")
        }
        for (name, version) in MediaLibraries.ffmpeg {
            print("  \(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(version)")
        }
        print("  FFmpeg release \(MediaLibraries.ffmpegRelease)")
        print("  libsndfile     \(MediaLibraries.sndfile)")
        print("  libpq          \(PostgresConnection.libraryVersion)")

        if dev {
            print("tools:")
            let tools: [(String, String, String)] = [
                ("ffmpeg", "ffmpeg", "test media"), ("espeak-ng", "espeak-ng", "test speech"),
                ("kcat", "kcat", "Kafka debugging"), ("pkg-config", "pkg-config", "building"),
                ("initdb", "postgresql", "the test Postgres"),
            ]
            for (tool, package, purpose) in tools {
                if let path = which(tool) {
                    print("  \(tool.padding(toLength: 14, withPad: " ", startingAt: 0)) \(path)")
                } else {
                    print("  \(tool.padding(toLength: 14, withPad: " ", startingAt: 0)) MISSING")
                    problems.append("\(tool) (\(purpose)) is missing: apt-get install \(package), or run ops/setup.sh")
                }
            }
        }

        let env = Setting()
        if let brokers = env.string(brokers, "MERCLIP_BROKERS") {
            let extra = try env.kafkaProperties(kafkaProperties)
            do {
                let n = try KafkaMetadata.brokerCount(KafkaConfig(bootstrapServers: brokers, extra: extra), timeoutMs: 5_000)
                print("kafka: \(brokers) reachable, \(n) broker(s)")
            } catch {
                print("kafka: \(brokers) UNREACHABLE")
                problems.append("Kafka at \(brokers) is unreachable (\(error)): start it (docker compose up kafka, or merclip dev-broker)")
            }
        }
        if let postgres = env.string(postgres, "MERCLIP_POSTGRES_URL") {
            do {
                let conn = try PostgresConnection(postgres)
                print("postgres: \(PostgresConnection.redact(postgres)) reachable, server \(conn.serverVersion)")
            } catch {
                print("postgres: \(PostgresConnection.redact(postgres)) UNREACHABLE")
                problems.append("\(error): start it (ops/services.sh start, or docker compose up postgres)")
            }
        }
        if !problems.isEmpty {
            FileHandle.standardError.write(Data(("problems:\n" + problems.map { "  - \($0)\n" }.joined()).utf8))
            throw ExitCode(1)
        }
        print("ok")
    }
}

/// The first executable named `tool` on PATH (plus PostgreSQL's versioned bin folders).
func which(_ tool: String) -> String? {
    var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
    if let pg = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
        dirs += pg.sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin" }
    }
    return dirs.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}
