#!/usr/bin/env bash
# The test command: installs what is missing, builds, starts the test services
# (private Postgres, dev Kafka broker), runs every test suite, and stops the services.
# Extra arguments go to `swift test` (e.g. --filter KafkaTests).
set -euo pipefail
cd "$(dirname "$0")/.."
ops/setup.sh
swift build --build-tests
export MERCLIP_BIN=$PWD/.build/debug/merclip
# A services folder and a free port of this run's own, so runs side by side don't collide.
export MERCLIP_SERVICES_DIR=${MERCLIP_SERVICES_DIR:-$PWD/.services/test-$$}
if [ -z "${MERCLIP_PG_PORT:-}" ]; then
  for port in $(seq 55433 55532); do
    (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null || { MERCLIP_PG_PORT=$port; break; }
  done
fi
export MERCLIP_PG_PORT
trap 'ops/services.sh stop; rm -rf "$MERCLIP_SERVICES_DIR"' EXIT
ops/services.sh start
eval "$(ops/services.sh env)"
# The trainer's metrics and the dataset converters (pure Python, no torch): with the whole suite only.
if [ $# -eq 0 ]; then python3 -m unittest discover -s training/tests -p 'test_*.py'; fi
# Suites run one after another: several start worker processes and brokers of their own, and on a
# 2-core machine running them side by side only makes their timings noisy.
swift test --skip-build --no-parallel "$@"
