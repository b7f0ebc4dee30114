// The `merclip` command: one subcommand per file in this folder.
import ArgumentParser

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
            // MODEL-COMMANDS (engine issue)
            // MEDIA-COMMANDS (media issue)
            Preprocess.self, Score.self,
        ]
    )
}
