-- Label sets are part of a result's identity: a segment scored with the default labels and with a
-- deployment's own label set keeps one row for each. Existing rows move to the set 'default'.

ALTER TABLE results ADD COLUMN label_set text NOT NULL DEFAULT 'default';
ALTER TABLE results DROP CONSTRAINT results_pkey;
ALTER TABLE results ADD PRIMARY KEY (segment_id, model_version, task, label_set);

-- The newest model version's row for each segment, task and label set (by when it was scored).
DROP VIEW latest_results;
CREATE VIEW latest_results AS
SELECT DISTINCT ON (segment_id, task, label_set) *
FROM results
ORDER BY segment_id, task, label_set, scored_at DESC, model_version DESC;

-- Two model versions compared on the same label set only.
CREATE OR REPLACE VIEW version_agreement AS
SELECT a.stream_id,
       a.task,
       a.model_version AS version_a,
       b.model_version AS version_b,
       count(*) AS segments,
       avg(CASE WHEN a.predicted @> b.predicted AND b.predicted @> a.predicted THEN 1.0 ELSE 0.0 END)
           AS same_predicted_share,
       avg((SELECT avg(abs((a.scores ->> k)::double precision - (b.scores ->> k)::double precision))
            FROM jsonb_object_keys(a.scores) AS k
            WHERE b.scores ? k)) AS mean_abs_score_diff,
       a.label_set
FROM results a
JOIN results b ON b.segment_id = a.segment_id AND b.task = a.task AND b.label_set = a.label_set
              AND b.model_version > a.model_version
GROUP BY a.stream_id, a.task, a.model_version, b.model_version, a.label_set;

-- One stream's scores over time, one row per segment, task and label, with a moving average over the
-- last `smooth` segments of that label (the segment itself included) and the modalities the segment had.
-- Time is when the segment was produced (the scoring time when that is unknown). Per segment the newest
-- model version is used, unless `version` names one.
CREATE FUNCTION stream_timeline(stream text, since timestamptz DEFAULT '-infinity', smooth integer DEFAULT 5,
                                set_name text DEFAULT 'default', version text DEFAULT NULL)
RETURNS TABLE (at timestamptz, segment_id text, task text, label text, score double precision,
               smoothed double precision, modalities text[], model_version text)
LANGUAGE sql STABLE AS $$
    WITH rows AS (
        SELECT DISTINCT ON (r.segment_id, r.task) r.*
        FROM results r
        WHERE r.stream_id = stream AND r.label_set = set_name
          AND (version IS NULL OR r.model_version = version)
          AND coalesce(r.produced_at, r.scored_at) >= since
        ORDER BY r.segment_id, r.task, r.scored_at DESC, r.model_version DESC
    )
    SELECT coalesce(rows.produced_at, rows.scored_at) AS at, rows.segment_id, rows.task, s.key AS label,
           s.value::double precision AS score,
           avg(s.value::double precision) OVER (
               PARTITION BY rows.task, s.key
               ORDER BY coalesce(rows.produced_at, rows.scored_at), rows.start_ms, rows.segment_id
               ROWS BETWEEN greatest(smooth, 1) - 1 PRECEDING AND CURRENT ROW) AS smoothed,
           rows.modalities, rows.model_version
    FROM rows, jsonb_each_text(rows.scores) AS s
    ORDER BY rows.task, s.key, 1, rows.start_ms, rows.segment_id
$$;

GRANT SELECT ON latest_results, version_agreement TO merclip_writer, merclip_dashboard;
GRANT EXECUTE ON FUNCTION stream_timeline(text, timestamptz, integer, text, text) TO merclip_writer, merclip_dashboard;
