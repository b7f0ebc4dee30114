#!/usr/bin/env bash
# Creates the Python environment for training/ (default .venv-training in the repository root).
#   training/setup.sh [VENV_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$root/.venv-training}"
python3 -m venv "$venv"
"$venv/bin/pip" install --upgrade pip
"$venv/bin/pip" install --extra-index-url https://download.pytorch.org/whl/cpu "torch==2.13.0+cpu"
"$venv/bin/pip" install "transformers>=5.0" safetensors numpy ftfy regex
"$venv/bin/pip" install --no-deps open_clip_torch
echo "ready: $venv/bin/python training/make_fixtures.py"
