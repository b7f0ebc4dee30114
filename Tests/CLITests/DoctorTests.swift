// `merclip doctor` and `merclip dev-broker`, run as a user would run them.
import Foundation
import TestSupport
import Testing

/// Runs merclip with `args`; returns (exit status, stdout, stderr).
func merclip(_ args: [String]) throws -> (Int32, String, String) {
    let r = try runProcess(merclipBinary(), args)
    return (r.status, r.stdout, r.stderr)
}

@Suite("merclip doctor")
struct DoctorTests {
    @Test("lists every linked C library with a version")
    func libraries() throws {
        let (status, out, _) = try merclip(["doctor"])
        #expect(status == 0)
        for lib in ["librdkafka", "OpenBLAS", "libavformat", "libavcodec", "libavutil", "libswscale",
                    "libswresample", "libsndfile", "libpq"] {
            let line = out.split(separator: "\n").first { $0.contains(lib) }
            #expect(line != nil, "\(lib) missing from doctor output")
            #expect(line.map { $0.contains(where: \.isNumber) } == true, "\(lib) has no version")
        }
        #expect(out.contains("core "), "OpenBLAS core name")
    }

    @Test("checks the running services and fails, naming them, when they are unreachable")
    func services() throws {
        if let pg = ProcessInfo.processInfo.environment["MERCLIP_POSTGRES_URL"],
           let brokers = ProcessInfo.processInfo.environment["MERCLIP_BROKERS"] {
            let (status, out, _) = try merclip(["doctor", "--brokers", brokers, "--postgres", pg])
            #expect(status == 0)
            #expect(out.contains("reachable, 3 broker(s)"))
            #expect(out.contains("postgres: ") && out.contains("reachable, server"))
        } else {
            Issue.record("MERCLIP_POSTGRES_URL/MERCLIP_BROKERS not set: run the tests with ops/test.sh")
        }
        let (status, _, err) = try merclip(["doctor", "--brokers", "127.0.0.1:1",
                                            "--postgres", "postgresql://u@127.0.0.1:1/db?connect_timeout=2"])
        #expect(status == 1)
        #expect(err.contains("Kafka at 127.0.0.1:1 is unreachable"))
        #expect(err.contains("cannot connect to postgresql://u@127.0.0.1:1/db"))
    }

    @Test("reads the services from the worker's environment variables when no flag is given")
    func servicesFromEnvironment() throws {
        let r = try runProcess(merclipBinary(), ["doctor"], env: [
            "MERCLIP_BROKERS": "127.0.0.1:1",
            "MERCLIP_POSTGRES_URL": "postgresql://u@127.0.0.1:1/db?connect_timeout=2",
        ])
        #expect(r.status == 1)
        #expect(r.stderr.contains("Kafka at 127.0.0.1:1 is unreachable"), "\(r.stderr)")
        #expect(r.stderr.contains("cannot connect to postgresql://u@127.0.0.1:1/db"), "\(r.stderr)")
        let bad = try runProcess(merclipBinary(), ["doctor"], env: ["MERCLIP_BROKERS": "127.0.0.1:1",
                                                                  "MERCLIP_KAFKA_PROPERTIES": "no-equals-sign"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("MERCLIP_KAFKA_PROPERTIES"), "\(bad.stderr)")
    }

    @Test("dev-broker rejects a bad --topic with a clear message")
    func badTopic() throws {
        let (status, _, err) = try merclip(["dev-broker", "--topic", "nopartitions"])
        #expect(status != 0)
        #expect(err.contains("NAME:PARTITIONS"))
    }
}
