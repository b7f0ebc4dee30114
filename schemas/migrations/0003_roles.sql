-- Roles: a writer for workers, a read-only role for dashboards. Both NOLOGIN: grant them to
-- login users (CREATE USER worker1 PASSWORD ... IN ROLE merclip_writer).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'merclip_writer') THEN
        CREATE ROLE merclip_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'merclip_dashboard') THEN
        CREATE ROLE merclip_dashboard NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO merclip_writer, merclip_dashboard;
GRANT SELECT, INSERT, UPDATE ON results, failures TO merclip_writer;
GRANT USAGE ON SEQUENCE failures_id_seq TO merclip_writer;
GRANT SELECT ON results, failures, latest_results, results_per_stream_minute,
                pipeline_per_minute, failures_per_minute TO merclip_writer, merclip_dashboard;
