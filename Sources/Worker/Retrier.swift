// Retrier: a sink call retried with backoff until it succeeds or the drain deadline passes.
import Foundation

/// Thrown when a stop was requested and the drain deadline passed with the work unfinished:
/// the work stays uncommitted and is delivered again.
struct DrainDeadlinePassed: Error, CustomStringConvertible {
    var description: String { "the drain deadline passed" }
}

struct Retrier {
    let initialSeconds: Double
    let maxSeconds: Double
    let context: StageContext

    /// Runs `body` until it returns; each failure is logged, counted, makes the worker not ready
    /// and waits (doubling) before the next attempt. Throws `DrainDeadlinePassed` when stopping ran out of time.
    func run(_ sink: String, _ body: () throws -> Void) throws {
        var wait = initialSeconds
        let start = Date()
        let (shutdown, readiness, metrics) = (context.shutdown, context.readiness, context.metrics)
        for attempt in 1... {
            if shutdown.stagesOutOfTime { throw DrainDeadlinePassed() }
            do {
                try context.watch.run(sink) { try body() }
                metrics.observe("merclip_stage_seconds", ["stage": sink], Date().timeIntervalSince(start))
                readiness.sinksReady = true
                return
            } catch let fatal as FatalSinkError {
                throw fatal   // retrying cannot help: the worker stops
            } catch {
                metrics.inc("merclip_retries_total", ["sink": sink])
                readiness.sinksReady = false
                context.log.warn("sink failed, retrying", ["sink": sink, "attempt": attempt, "wait_s": wait, "error": "\(error)"])
                shutdown.sleep(wait)
                wait = min(wait * 2, maxSeconds)
            }
        }
    }
}
