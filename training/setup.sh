#!/usr/bin/env bash
# Creates the Python environment for training/ (default .venv-training in the repository root).
#   training/setup.sh [VENV_DIR] [--peers]
# --peers also installs the benchmark peers of bench_peers.py (onnx, onnxruntime, openvino).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
peers=0 venv=""
for a in "$@"; do
  case "$a" in
    --peers) peers=1 ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# //'; exit 0 ;;
    -*) echo "training/setup.sh: unknown option $a (see --help)" >&2; exit 2 ;;
    *) venv="$a" ;;
  esac
done
venv="${venv:-$root/.venv-training}"
python3 -m venv "$venv"
"$venv/bin/pip" install --upgrade pip
"$venv/bin/pip" install --extra-index-url https://download.pytorch.org/whl/cpu "torch==2.13.0+cpu"
"$venv/bin/pip" install "transformers>=5.0" safetensors numpy ftfy regex
"$venv/bin/pip" install --no-deps open_clip_torch
if [ "$peers" = 1 ]; then "$venv/bin/pip" install onnx onnxruntime openvino; fi
echo "ready: $venv/bin/python training/make_fixtures.py"
