#!/usr/bin/env bash
# Installs everything merclip needs on Debian 12 (with the Swift toolchain already there).
# Safe to run twice: it installs only what is missing.
#   ops/setup.sh            install the system packages
#   ops/setup.sh --update   also refresh the package lists even when nothing is missing
set -euo pipefail

packages=(
  pkg-config
  librdkafka-dev          # Kafka client (and its mock cluster for tests)
  libopenblas-dev         # BLAS for the model
  libdnnl-dev             # oneDNN: fp32, bf16 and int8 matrix products for the model
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev  # FFmpeg
  libsndfile1-dev         # audio files
  libpq-dev               # Postgres client
  postgresql              # the test/demo Postgres server
  ffmpeg espeak-ng        # test and sample media
  kcat                    # Kafka debugging
  curl                    # tests of the metrics endpoint
  python3                 # the training metrics and converter tests
)

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ] || [ "${1:-}" = "--update" ]; then
  echo "setup: apt-get update" >&2
  $sudo apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's postgresql package starts a cluster on port 5432; ours runs on its own port (ops/services.sh).
echo "setup: all ${#packages[@]} packages present" >&2
