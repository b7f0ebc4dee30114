// PostgresSink: a batch's result and failures rows in one transaction; rows the database refuses for good are isolated.
import Foundation
import Sinks

struct PostgresSink {
    let writer: ResultWriter
    let context: StageContext
    /// The feature store, when the worker keeps features (written before the results they belong to).
    var features: FeatureSink? = nil
    private var metrics: Metrics { context.metrics }
    private var log: Log { context.log }

    /// Writes the batch. When the database refuses it for a reason retrying cannot fix, writes segment
    /// by segment and moves the segments it refuses to the DLQ, so one bad row neither blocks the
    /// partition nor takes good segments down with it. A failures row it refuses is left out (its DLQ
    /// copy stays). Retriable errors are thrown, for the caller's retry.
    func write(_ out: inout BatchOutput) throws {
        try features?.write(out.scored.compactMap(\.features))
        do {
            try writer.write(results: out.rows, failures: out.failureRows)
        } catch let e as PostgresError where !e.isRetriable {
            log.warn("Postgres rejected the batch, writing segment by segment", ["error": e.description])
            try isolate(&out)
        }
    }

    private func isolate(_ out: inout BatchOutput) throws {
        for s in out.scored {
            do {
                try writer.write(results: s.rows, failures: [])
            } catch let e as PostgresError where !e.isRetriable {
                out.reject(s, stage: "postgres", errorClass: "sink.rejected", reason: e.description)
                metrics.inc("merclip_dlq_total", ["stage": "postgres", "error_class": "sink.rejected"])
                let m = s.message
                log.warn("to DLQ", ["topic": m.topic, "partition": m.partition, "offset": m.offset, "class": "sink.rejected"])
            }
        }
        for f in out.failureRows {
            do {
                try writer.write(results: [], failures: [f])
            } catch let e as PostgresError where !e.isRetriable {
                log.error("failures row refused, kept on the DLQ only", ["offset": f.sourceOffset, "error": e.description])
            }
        }
    }
}
