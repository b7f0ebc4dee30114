// WindowOptions: --start and --duration, the segment window that `preprocess` and `score` cut from their inputs.
import ArgumentParser
import Media

struct WindowOptions: ParsableArguments {
    @Option(help: "Window start in seconds.")
    var start: Double = 0

    @Option(help: "Window length in seconds (default: to the end).")
    var duration: Double?

    var window: SegmentWindow { SegmentWindow(start: start, duration: duration) }
}
