#!/usr/bin/env bash
# The main job, end to end on this machine: install, build, start Postgres and the
# dev Kafka broker, and check them with `merclip doctor`. (Grows into the full demo.)
# The services keep running afterwards; stop them with ops/services.sh stop.
set -euo pipefail
cd "$(dirname "$0")/.."
ops/setup.sh
swift build
ops/services.sh start
eval "$(ops/services.sh env)"
.build/debug/merclip doctor --dev --brokers "$MERCLIP_BROKERS" --postgres "$MERCLIP_POSTGRES_URL"
