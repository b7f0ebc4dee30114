// PipelineOptions: the flags of `merclip bench --stage pipeline` (the worker run against its parts).
import ArgumentParser
import Worker

struct PipelineOptions: ParsableArguments {
    @Option(help: "Postgres server URL (a scratch database is created and dropped; env MERCLIP_POSTGRES_URL).") var postgres: String?
    @Option(help: "Segment events to score.") var segments: Int = 48
    @Option(help: "Seconds of each segment, from the start of --media.") var segmentSeconds: Double = 2
    @Option(help: "The worker's decode lanes (default: one per core, as `worker`).") var decodeLanes: Int?
    @Option(help: "The lanes' nice step below the engine, 0-19 (as `worker --decode-nice`).") var decodeNice: Int = CPUBudget.defaultNice
    @Option(help: "Rounds of media alone, engine alone and the worker, one after the other (the ratios of each and their median).")
    var rounds: Int = 1
}
