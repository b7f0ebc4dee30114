"""Writes Tests/Fixtures/trained/: a small TRAINED model and its test features with PyTorch's outputs, so CI
(no torch) checks that the Swift engine serves a trained model as PyTorch computes it.

    PYTHON training/make_trained_fixture.py --merclip .build/release/merclip [--out Tests/Fixtures/trained]

Steps: a 24-segment synthetic corpus (make_synthetic_corpus.py; needs ffmpeg and espeak-ng), an init model
of the tiny-a fixture shape (32 px, the 1514-token vocabulary) with 32 mel bins so the audio images fit its
32 px encoder, `merclip dataset build --model INIT`, training/train.py (15 epochs, lr 1e-3, batch 8, F16
export), then for every test segment and for each modality set (all, language, vision, audio):
PyTorch's probabilities and predictions from the saved model.
Layout: model/ (merclip-model/1, "trained": true, metrics), segments.json [{"id", "frames", "audio",
"token_ids", "transcript"}], <id>_frames.npy [12,3,32,32], <id>_audio.npy [T_A,3,32,32],
expected.json {"tolerance", "cases": [{"id", "modalities", "tasks": {name: {"probabilities", "predicted"}}}]}.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dataset import MODALITY_KEYS, Segments, only_modalities  # noqa: E402
from merclip_reference import REPO, MerClip  # noqa: E402


def sh(cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--merclip", required=True, help="the merclip executable")
    ap.add_argument("--out", default=os.path.join(REPO, "Tests", "Fixtures", "trained"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        corpus, init, data, run = (os.path.join(tmp, d) for d in ("corpus", "init", "data", "run"))
        sh([sys.executable, os.path.join(HERE, "make_synthetic_corpus.py"), corpus, "--per-class", "6", "--seed", "7"])
        shutil.copytree(os.path.join(REPO, "Tests", "Fixtures", "models", "tiny-a", "merclip"), init)
        with open(os.path.join(init, "config.json")) as f:
            cfg = json.load(f)
        cfg["preprocess"]["audio"]["n_mels"] = 32
        with open(os.path.join(init, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        sh([a.merclip, "dataset", "build", "--manifest", os.path.join(corpus, "manifest.jsonl"), "--tasks",
            os.path.join(corpus, "tasks.json"), "--model", init, "--out", data, "--jobs", "2"])
        sh([sys.executable, os.path.join(HERE, "train.py"), "--init", init, "--data", data, "--out", run,
            "--epochs", "15", "--lr", "1e-3", "--batch", "8", "--modality-dropout", "0.3", "--patience", "15",
            "--dtype", "F16", "--name", "merclip-trained-fixture", "--version", "0.1.0", "--threads", "1"])
        if os.path.exists(a.out):
            shutil.rmtree(a.out)
        shutil.copytree(os.path.join(run, "model"), os.path.join(a.out, "model"))
        model = MerClip.load(os.path.join(a.out, "model"))
        test = Segments(data, "test", model.tokenizer)
        rows = []
        for r in test.rows:
            row = {"id": r["id"], "frames": None, "audio": None, "token_ids": r.get("token_ids"),
                   "transcript": r.get("transcript")}
            for key in ("frames", "audio"):
                if r.get(key):
                    row[key] = f"{r['id']}_{key}.npy"
                    np.save(os.path.join(a.out, row[key]), np.load(os.path.join(data, r[key])))
            rows.append(row)
        with open(os.path.join(a.out, "segments.json"), "w") as f:
            json.dump(rows, f, indent=1)
        cases = []
        with torch.inference_mode():
            segs = test.load(test.rows)
            for mods in (list(MODALITY_KEYS), ["language"], ["vision"], ["audio"]):
                out = model(only_modalities(segs, mods))
                for i, s in enumerate(segs):
                    cases.append({"id": s["id"], "modalities": mods, "tasks": {
                        t["name"]: {"probabilities": [float(p) for p in out[t["name"]]["probs"][i]],
                                    "predicted": out[t["name"]]["predicted"][i]} for t in model.config["tasks"]}})
        with open(os.path.join(a.out, "expected.json"), "w") as f:
            json.dump({"tolerance": 1e-3, "cases": cases}, f, indent=1)
    print(f"{a.out}: {len(rows)} test segments, {len(cases)} cases")


if __name__ == "__main__":
    main()
