-- The modality features of scored segments, kept so that a new decoder, head or label set can re-score them
-- without reading media or running an encoder (merclip rescore). One row per segment and encoder digest:
-- features computed by other encoder weights or preprocessing live beside them, under their own digest.
CREATE TABLE segment_features (
    segment_id       text        NOT NULL,
    encoder_digest   text        NOT NULL,          -- EncoderDigest of the model that computed them
    stream_id        text        NOT NULL,
    start_ms         bigint      NOT NULL,
    duration_ms      bigint      NOT NULL,
    dim              integer     NOT NULL,          -- feature width d
    language_rows    integer     NOT NULL DEFAULT 0,
    vision_rows      integer     NOT NULL DEFAULT 0,
    audio_rows       integer     NOT NULL DEFAULT 0,
    features         bytea       NOT NULL,          -- float32 little-endian: language, vision, audio rows
    model_name       text        NOT NULL,
    model_version    text        NOT NULL,          -- the version that stored them
    source_topic     text,
    source_partition integer,
    source_offset    bigint,
    produced_at      timestamptz,
    metadata         jsonb       NOT NULL DEFAULT '{}',
    stored_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, encoder_digest),
    CHECK (octet_length(features) = 4 * dim * (language_rows + vision_rows + audio_rows))
);

CREATE INDEX segment_features_time ON segment_features (produced_at);
CREATE INDEX segment_features_stream ON segment_features (stream_id, produced_at);
CREATE INDEX segment_features_stored ON segment_features (stored_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON segment_features TO merclip_writer;
