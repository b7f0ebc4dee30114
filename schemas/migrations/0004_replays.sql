-- Replays (re-scoring a time range through a replay topic) and version comparison.

CREATE TABLE replays (
    replay_id       text        PRIMARY KEY,
    source_topic    text        NOT NULL,
    replay_topic    text        NOT NULL,
    since           timestamptz NOT NULL,
    until           timestamptz,
    stream_ids      text[]      NOT NULL DEFAULT '{}',
    matched         bigint      NOT NULL DEFAULT 0,   -- events in the range (and streams)
    copied          bigint      NOT NULL DEFAULT 0,   -- copied to the replay topic, all runs
    runs            integer     NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

-- Per stream and task, how far two model versions agree on the segments both scored:
-- the share of segments with the same predicted labels and the mean absolute score difference.
-- Each pair appears once, version_a < version_b (text order); filter on the two you compare.
CREATE VIEW version_agreement AS
SELECT a.stream_id,
       a.task,
       a.model_version AS version_a,
       b.model_version AS version_b,
       count(*) AS segments,
       avg(CASE WHEN a.predicted @> b.predicted AND b.predicted @> a.predicted THEN 1.0 ELSE 0.0 END)
           AS same_predicted_share,
       avg((SELECT avg(abs((a.scores ->> k)::double precision - (b.scores ->> k)::double precision))
            FROM jsonb_object_keys(a.scores) AS k
            WHERE b.scores ? k)) AS mean_abs_score_diff
FROM results a
JOIN results b ON b.segment_id = a.segment_id AND b.task = a.task AND b.model_version > a.model_version
GROUP BY 1, 2, 3, 4;

GRANT SELECT, INSERT, UPDATE ON replays TO merclip_writer;
GRANT SELECT ON replays, version_agreement TO merclip_writer, merclip_dashboard;
