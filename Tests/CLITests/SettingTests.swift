// Options with an environment fallback: the flag wins, the variable stands in, a bad variable is an error naming it.
import Foundation
import TestSupport
import Testing

@Suite("Options and their environment variables")
struct SettingTests {
    @Test("a variable whose value cannot be used stops the command, naming the variable and the value",
          arguments: [("MERCLIP_BATCH_SIZE", "abc", "not an integer"),
                      ("MERCLIP_MAX_WAIT_MS", "-5", "must be at least 0"),
                      ("MERCLIP_METRICS_PORT", "70000", "must be between 0 and 65535"),
                      ("MERCLIP_PREPROCESS_THREADS", "0", "must be at least 1"),
                      ("MERCLIP_THREADS", "many", "not an integer"),
                      ("MERCLIP_LOG_FORMAT", "xml", "expected text, json"),
                      ("MERCLIP_LOG_LEVEL", "loud", "expected trace, debug, info")])
    func badVariable(variable: String, value: String, reason: String) throws {
        // timeout(1) bounds the run: a worker that starts anyway is stopped after 60 s and the test fails
        let r = try runProcess("timeout", ["60", merclipBinary(), "worker"] + unreachableServicesAnyPort, env: [variable: value])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("\(variable)='\(value)': \(reason)"), "\(r.stderr)")
        #expect(!r.stderr.contains("consuming"), "the worker must not start")
    }

    @Test("a malformed MERCLIP_KAFKA_PROPERTIES is named without echoing its value (it may hold a password)")
    func badKafkaProperties() throws {
        let r = try runProcess(merclipBinary(), ["worker"] + unreachableServices,
                               env: ["MERCLIP_KAFKA_PROPERTIES": "sasl.password=secret;acks"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("MERCLIP_KAFKA_PROPERTIES: librdkafka property #2 (4 characters, not shown) is not key=value"), "\(r.stderr)")
        #expect(!r.stderr.contains("secret"))
    }

    @Test("a flag out of range is an error naming the flag")
    func badFlag() throws {
        let r = try runProcess(merclipBinary(), ["worker"] + unreachableServices + ["--batch-size", "0"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--batch-size 0: must be at least 1"), "\(r.stderr)")
    }

    @Test("a required option missing from both the flags and the environment is named with its variable")
    func missing() throws {
        let ingest = try runProcess(merclipBinary(), ["ingest", "x.mp4"], env: ["MERCLIP_BROKERS": ""])
        #expect(ingest.status != 0 && ingest.stderr.contains("--brokers or MERCLIP_BROKERS is required"), "\(ingest.stderr)")
        let migrate = try runProcess(merclipBinary(), ["db", "migrate"], env: ["MERCLIP_POSTGRES_URL": ""])
        #expect(migrate.status != 0 && migrate.stderr.contains("--postgres or MERCLIP_POSTGRES_URL is required"),
                "\(migrate.stderr)")
    }

    @Test("MERCLIP_THREADS is checked by every command that runs the model")
    func threads() throws {
        let media = repoRoot.appendingPathComponent("Tests/Fixtures/media/tone.wav").path
        let score = try runProcess(merclipBinary(), ["score", "--model", tinyModel, media], env: ["MERCLIP_THREADS": "0"])
        #expect(score.status == 1 && score.stderr.contains("MERCLIP_THREADS='0': must be at least 1"), "\(score.stderr)")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("embed-\(UUID().uuidString).npy").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let embed = ["embed", "--model", tinyModel, "--text", "hello", "--output", output]
        let bad = try runProcess(merclipBinary(), embed, env: ["MERCLIP_THREADS": "two"])
        #expect(bad.status == 1 && bad.stderr.contains("MERCLIP_THREADS='two': not an integer"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let ok = try runProcess(merclipBinary(), embed + ["--threads", "1"], env: ["MERCLIP_THREADS": "two"])
        #expect(ok.status == 0 && FileManager.default.fileExists(atPath: output), "the flag wins over the variable: \(ok.stderr)")
    }

    @Test("the variable stands in for a missing flag, and the flag wins over the variable")
    func fallback() throws {
        let fromEnv = try runWorker(unreachableServices, env: ["MERCLIP_BATCH_SIZE": "3", "MERCLIP_GROUP": "group-from-env"],
                                    until: "Postgres does not answer")
        let consuming = fromEnv.lines.first { $0.contains("consuming") } ?? ""
        #expect(consuming.contains("batch=3") && consuming.contains("group=group-from-env"), "\(fromEnv.stderr)")
        #expect(fromEnv.status == 0, "SIGTERM: finish and exit 0")

        let fromFlag = try runWorker(unreachableServices + ["--batch-size", "5", "--group", "group-from-flag"],
                                     env: ["MERCLIP_BATCH_SIZE": "abc", "MERCLIP_GROUP": "group-from-env"],
                                     until: "Postgres does not answer")
        let line = fromFlag.lines.first { $0.contains("consuming") } ?? ""
        #expect(line.contains("batch=5") && line.contains("group=group-from-flag"), "\(fromFlag.stderr)")
    }
}
