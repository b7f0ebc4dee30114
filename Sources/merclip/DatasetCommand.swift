// `merclip dataset`: labelled media → the training layout, through the worker's own media front end.
import ArgumentParser

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Build training data from labelled media (the features the worker computes, for training/train.py).",
        subcommands: [DatasetBuild.self])
}
