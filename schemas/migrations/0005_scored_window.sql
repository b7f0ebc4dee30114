-- The window that was scored: the requested one (start_ms, duration_ms) clamped to the media's end.
-- NULL for rows written before this column existed.
ALTER TABLE results ADD COLUMN IF NOT EXISTS scored_start_ms bigint;
ALTER TABLE results ADD COLUMN IF NOT EXISTS scored_duration_ms bigint;
