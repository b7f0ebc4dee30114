-- Login users for the docker-compose stack: the workers write as merclip_worker (a member of
-- merclip_writer), Grafana reads as merclip_grafana (a member of merclip_dashboard). Both roles are
-- created by `merclip db migrate` (schemas/migrations/0003_roles.sql), so run this after it:
--
--   psql "$URL" -v ON_ERROR_STOP=1 -v worker_password=... -v dashboard_password=... -f db-users.sql
--
-- Idempotent: a second run only resets the passwords. Production clusters create their own users
-- the same way (see docs/operations.md, "Security").
SET merclip.worker_password = :'worker_password';
SET merclip.dashboard_password = :'dashboard_password';

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'merclip_worker') THEN
        CREATE ROLE merclip_worker LOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'merclip_grafana') THEN
        CREATE ROLE merclip_grafana LOGIN;
    END IF;
    EXECUTE format('ALTER ROLE merclip_worker PASSWORD %L', current_setting('merclip.worker_password'));
    EXECUTE format('ALTER ROLE merclip_grafana PASSWORD %L', current_setting('merclip.dashboard_password'));
END
$$;

GRANT merclip_writer TO merclip_worker;
GRANT merclip_dashboard TO merclip_grafana;

RESET merclip.worker_password;
RESET merclip.dashboard_password;
