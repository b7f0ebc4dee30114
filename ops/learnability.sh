#!/usr/bin/env bash
# Learnability run: a synthetic labelled corpus whose labels each modality carries on its own → merclip dataset
# build → a tiny MER-CLIP trained from random weights (with modality dropout) → evaluation with all modalities and
# each alone, next to the untrained model of the same shape → the trained model served by `merclip score` and
# compared with PyTorch on the test segments. CPU only; see docs/training.md for the figures.
#
#   ops/learnability.sh [WORK_DIR]        (default ${TMPDIR:-/tmp}/merclip-learnability)
# Environment: PYTHON (a python with training/requirements.txt; default .venv-training/bin/python, made by
# training/setup.sh), MERCLIP (default .build/release/merclip, built when missing), PER_CLASS (60), EPOCHS (20),
# LR (1e-3, a rate for random weights; the paper's 8e-6 is for fine-tuning CLIP), BATCH (8), DROPOUT (0.7, the
# modality dropout: most training segments keep one modality, so each encoder learns the label on its own),
# PATIENCE (10), JOBS (2), THREADS (1: torch threads; the tiny model's operations are too small to gain from
# more, and on a busy machine a pool of waiting threads makes each step many times slower).
# Training: AdamW, linear warm-up over the first epoch then cosine decay to 0, gradient norm capped at 1.
# Needs ffmpeg and espeak-ng. Exit status 1 when the served model differs from PyTorch's.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv-training/bin/python}
MERCLIP=${MERCLIP:-.build/release/merclip}
WORK=${1:-${TMPDIR:-/tmp}/merclip-learnability}
PER_CLASS=${PER_CLASS:-60}
EPOCHS=${EPOCHS:-20}
LR=${LR:-1e-3}
BATCH=${BATCH:-8}
DROPOUT=${DROPOUT:-0.7}
PATIENCE=${PATIENCE:-10}
JOBS=${JOBS:-2}
THREADS=${THREADS:-1}
for tool in ffmpeg espeak-ng; do
    command -v "$tool" >/dev/null || { echo "ops/learnability.sh: $tool is needed (apt-get install $tool)" >&2; exit 2; }
done
[ -x "$PY" ] || { echo "ops/learnability.sh: no python at $PY (run training/setup.sh or set PYTHON)" >&2; exit 2; }
[ -x "$MERCLIP" ] || swift build -c release --product merclip
mkdir -p "$WORK"
stage() { echo "== $1 ($(date -u +%H:%M:%S))"; }
t0=$(date +%s)

stage "corpus: $PER_CLASS segments per class"
[ -f "$WORK/corpus/manifest.jsonl" ] || python3 training/make_synthetic_corpus.py "$WORK/corpus" --per-class "$PER_CLASS" --jobs "$JOBS"
stage "merclip dataset build"
"$MERCLIP" dataset build --manifest "$WORK/corpus/manifest.jsonl" --tasks "$WORK/corpus/tasks.json" \
    --out "$WORK/data" --jobs "$JOBS"
stage "train a tiny model from random weights ($EPOCHS epochs, lr $LR, batch $BATCH, modality dropout $DROPOUT)"
"$PY" training/train.py --random-preset tiny --data "$WORK/data" --out "$WORK/trained" --epochs "$EPOCHS" \
    --lr "$LR" --batch "$BATCH" --modality-dropout "$DROPOUT" --select each --patience "$PATIENCE" --seed 0 \
    --schedule cosine --warmup-epochs 1 --clip-grad 1.0 --threads "$THREADS"
stage "the untrained model of the same shape (same seed, 0 epochs)"
"$PY" training/train.py --random-preset tiny --data "$WORK/data" --out "$WORK/untrained" --epochs 0 --seed 0 \
    --threads "$THREADS"
stage "evaluate on the test split: all modalities and each alone"
for model in trained untrained; do
    for mods in all language vision audio; do
        args=()
        [ "$mods" = all ] || args=(--modalities "$mods")
        "$PY" training/evaluate.py --model "$WORK/$model/model" --data "$WORK/data" --split test --threads "$THREADS" "${args[@]}" \
            > "$WORK/eval-$model-$mods.json"
    done
done
stage "serve the trained model with merclip score"
"$PY" training/evaluate.py --model "$WORK/trained/model" --data "$WORK/data" --split test --threads "$THREADS" \
    --predictions "$WORK/pytorch.jsonl" > /dev/null
mapfile -t media < <(python3 -c '
import json, os, sys
rows = json.load(open(os.path.join(sys.argv[1], "data", "segments.json")))
for r in rows:
    if r["split"] == "test":
        print(os.path.join(sys.argv[1], "corpus", r["media"]))' "$WORK")
"$MERCLIP" score --model "$WORK/trained/model" --start 0 --duration 2 "${media[@]}" > "$WORK/score.jsonl"
"$MERCLIP" model inspect "$WORK/trained/model"
stage "report"
python3 training/learnability_report.py "$WORK"
echo "total $(( $(date +%s) - t0 )) s"
