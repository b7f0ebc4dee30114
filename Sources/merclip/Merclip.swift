// The `merclip` command: one subcommand per file in this folder.
import ArgumentParser
import Foundation

@main
struct Merclip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merclip",
        abstract: "Score emotion and sentiment of media segments with MER-CLIP, from files or Kafka.",
        discussion: """
        Start with `merclip doctor` to check the linked libraries and services.
        `merclip dev-broker` runs an in-memory Kafka-protocol broker for development and tests.
        """,
        subcommands: [
            Doctor.self,
            DevBrokerCommand.self,
            DB.self,
            WorkerCommand.self,
            IngestCommand.self,
            ReplayCommand.self,
            Embed.self, Tokenize.self, ModelCommand.self, Bench.self,
            Preprocess.self, Score.self, Timeline.self, RescoreCommand.self, DatasetCommand.self,
        ]
    )

    /// ArgumentParser's own `main`, except that a Foundation file error is printed as
    /// "cannot read|write PATH: reason" instead of its NSError dump.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: FileError(error) ?? error)
        }
    }
}
