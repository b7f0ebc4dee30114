#!/usr/bin/env bash
# Starts and stops the local services for tests and the demo:
#   - PostgreSQL on a private data directory and port, run as the `postgres` user when we are root;
#   - the dev broker (librdkafka's mock cluster via `merclip dev-broker`), in memory.
# Usage: ops/services.sh start|stop|status|env|start-postgres|stop-postgres
# Settings: MERCLIP_SERVICES_DIR (default .services), MERCLIP_PG_PORT (55432), MERCLIP_BIN (.build/debug/merclip).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${MERCLIP_SERVICES_DIR:-$root/.services}
port=${MERCLIP_PG_PORT:-55432}
bin=${MERCLIP_BIN:-$root/.build/debug/merclip}
pgdata=$dir/pg
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
url="postgresql://merclip@127.0.0.1:$port/merclip"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  [ -n "$pgbin" ] || { echo "services: PostgreSQL server not installed: run ops/setup.sh" >&2; exit 1; }
  mkdir -p "$dir"
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$pgdata"
    chmod 700 "$pgdata"
    as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  if as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    # postmaster.pid's fourth line is the port the running server listens on.
    running=$(sed -n 4p "$pgdata/postmaster.pid" 2>/dev/null)
    if [ -n "$running" ] && [ "$running" != "$port" ]; then
      echo "services: the postgres of $pgdata is already running on port $running, not $port: stop it with" \
        "'ops/services.sh stop', or use it with MERCLIP_PG_PORT=$running" >&2
      exit 1
    fi
    echo "services: postgres already running on port $port" >&2
  else
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "services: port $port is already taken by another server (another checkout's ops/services.sh? stop it there with" \
        "'ops/services.sh stop', or choose another port with MERCLIP_PG_PORT)" >&2
      exit 1
    fi
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 \
      -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>>"$dir/pg_ctl.log" \
      || { tail -20 "$pgdata/server.log" >&2; exit 1; }
  fi
  psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname='merclip'" | grep -q 1 \
    || psql_admin -qc "CREATE ROLE merclip LOGIN SUPERUSER"
  psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname='merclip'" | grep -q 1 \
    || psql_admin -qc "CREATE DATABASE merclip OWNER merclip"
  echo "services: postgres at $url" >&2
}

psql_admin() { as_pg "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

pg_stop() {
  if [ -n "$pgbin" ] && [ -f "$pgdata/PG_VERSION" ] && as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
    echo "services: postgres stopped" >&2
  fi
}

broker_start() {
  [ -x "$bin" ] || { echo "services: $bin not built: run swift build" >&2; exit 1; }
  if [ -f "$dir/broker.pid" ] && kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null; then
    echo "services: dev broker already running at $(cat "$dir/broker.bootstrap")" >&2; return
  fi
  mkdir -p "$dir"
  rm -f "$dir/broker.out"
  nohup "$bin" dev-broker --brokers 3 --topic segments:4 --topic segment-results:4 --topic segments-dlq:1 \
    >"$dir/broker.out" 2>"$dir/broker.log" &
  echo $! >"$dir/broker.pid"
  for _ in $(seq 100); do
    [ "$(wc -l < "$dir/broker.out" 2>/dev/null || echo 0)" -ge 1 ] && break
    sleep 0.1
  done
  [ "$(wc -l < "$dir/broker.out")" -ge 1 ] || { cat "$dir/broker.log" >&2; echo "services: dev broker did not start" >&2; exit 1; }
  head -1 "$dir/broker.out" >"$dir/broker.bootstrap"
  echo "services: dev broker at $(cat "$dir/broker.bootstrap")" >&2
}

broker_stop() {
  if [ -f "$dir/broker.pid" ]; then
    kill "$(cat "$dir/broker.pid")" 2>/dev/null || true
    rm -f "$dir/broker.pid"
    echo "services: dev broker stopped" >&2
  fi
}

case "${1:-}" in
  start) pg_start; broker_start ;;
  stop) broker_stop; pg_stop ;;
  start-postgres) pg_start ;;
  stop-postgres) pg_stop ;;
  status)
    as_pg "$pgbin/pg_ctl" -D "$pgdata" status || true
    [ -f "$dir/broker.pid" ] && kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null \
      && echo "dev broker running at $(cat "$dir/broker.bootstrap")" || echo "dev broker not running" ;;
  env)
    echo "export MERCLIP_POSTGRES_URL=$url"
    [ -f "$dir/broker.bootstrap" ] && echo "export MERCLIP_BROKERS=$(cat "$dir/broker.bootstrap")" ;;
  *) echo "usage: $0 start|stop|status|env|start-postgres|stop-postgres" >&2; exit 2 ;;
esac
