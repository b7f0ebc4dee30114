-- Results and failures. One row per (segment, model version, task): redelivery upserts the same row.
CREATE TABLE results (
    segment_id       text        NOT NULL,
    model_version    text        NOT NULL,
    task             text        NOT NULL,
    model_name       text        NOT NULL,
    stream_id        text        NOT NULL,
    start_ms         bigint      NOT NULL,
    duration_ms      bigint      NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('multi_label', 'single_label')),
    scores           jsonb       NOT NULL,          -- {"happy": 0.71, "sad": 0.12, ...}
    predicted        text[]      NOT NULL,          -- labels over threshold, or the argmax
    modalities       text[]      NOT NULL,          -- of 'language', 'vision', 'audio'
    model_trained    boolean     NOT NULL DEFAULT true,
    decode_ms        real,
    model_ms         real,
    end_to_end_ms    real,                          -- produced_at → written
    replay_id        text,
    source_topic     text,
    source_partition integer,
    source_offset    bigint,
    produced_at      timestamptz,
    scored_at        timestamptz NOT NULL DEFAULT now(),
    written_at       timestamptz NOT NULL DEFAULT now(),
    metadata         jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (segment_id, model_version, task)
);

CREATE INDEX results_stream_time ON results (stream_id, produced_at);
CREATE INDEX results_scored_at ON results (scored_at);
CREATE INDEX results_replay ON results (replay_id) WHERE replay_id IS NOT NULL;

-- Events that could not be processed (also on the DLQ topic). One row per source offset.
CREATE TABLE failures (
    id               bigserial   PRIMARY KEY,
    segment_id       text,
    stream_id        text,
    stage            text        NOT NULL,          -- decode, validate, media, model, ...
    error_class      text        NOT NULL,          -- e.g. media.too_large, event.schema
    reason           text        NOT NULL,
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    replay_id        text,
    payload_excerpt  text,
    failed_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_topic, source_partition, source_offset)
);

CREATE INDEX failures_time ON failures (failed_at);
