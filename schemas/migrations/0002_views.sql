-- Views for dashboards.

-- The newest model version's row for each segment and task (by when it was scored).
CREATE VIEW latest_results AS
SELECT DISTINCT ON (segment_id, task) *
FROM results
ORDER BY segment_id, task, scored_at DESC, model_version DESC;

-- Per stream, per minute of segment time: counts and mean score per label.
CREATE VIEW results_per_stream_minute AS
SELECT r.stream_id,
       r.task,
       r.model_version,
       date_trunc('minute', coalesce(r.produced_at, r.scored_at)) AS minute,
       s.key AS label,
       count(*) AS segments,
       avg(s.value::double precision) AS mean_score,
       avg(CASE WHEN s.key = ANY (r.predicted) THEN 1.0 ELSE 0.0 END) AS predicted_share
FROM results r, jsonb_each_text(r.scores) AS s
GROUP BY 1, 2, 3, 4, 5;

-- Throughput and latency per minute, all streams.
CREATE VIEW pipeline_per_minute AS
SELECT date_trunc('minute', written_at) AS minute,
       model_version,
       count(DISTINCT segment_id) AS segments,
       avg(end_to_end_ms) AS mean_end_to_end_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY end_to_end_ms) AS p95_end_to_end_ms
FROM results
GROUP BY 1, 2;

-- Failures per minute by class.
CREATE VIEW failures_per_minute AS
SELECT date_trunc('minute', failed_at) AS minute, stage, error_class, count(*) AS failures
FROM failures
GROUP BY 1, 2, 3;
