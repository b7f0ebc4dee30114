#!/usr/bin/env bash
# The test command: installs what is missing, builds, starts the test services
# (private Postgres, dev Kafka broker), runs every test suite, and stops the services.
# Extra arguments go to `swift test` (e.g. --filter KafkaTests).
set -euo pipefail
cd "$(dirname "$0")/.."
ops/setup.sh
swift build --build-tests
export MERCLIP_BIN=$PWD/.build/debug/merclip
export MERCLIP_SERVICES_DIR=${MERCLIP_SERVICES_DIR:-$PWD/.services/test}
export MERCLIP_PG_PORT=${MERCLIP_PG_PORT:-55433}
trap 'ops/services.sh stop' EXIT
ops/services.sh start
eval "$(ops/services.sh env)"
swift test --skip-build "$@"
