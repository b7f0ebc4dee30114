"""Minimal MER-CLIP training loop (docs/design.md): label encoder frozen; encoders, decoders, ctx, logit_scale
trained with AdamW (lr 8e-6, weight decay 1e-3); BCE on multi-label probabilities, CE on single-label logits.

    python training/train.py --init MODEL_DIR --data DATA_DIR --out OUT_DIR [--epochs 20 --batch 16]
    python training/train.py --synthetic --steps 2 --out /tmp/merclip-trained     # smoke test on random data

--init is a merclip model dir, or an HF CLIP dir (imported: heads fresh). DATA_DIR/segments.json lists
{"id", "frames": "a.npy"|null ([12,3,S,S] float32, CLIP-normalised), "audio": "b.npy"|null ([T_A,3,S,S]),
 "transcript": str|null, "labels": {"<task>": ["label", ...] (multi_label) | "label" (single_label)}},
with .npy paths relative to DATA_DIR. The saved model has "trained": true.
"""
import argparse
import json
import os
import random
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from merclip_reference import DTYPES, REPO, MerClip  # noqa: E402


def load_model(path):
    if os.path.exists(os.path.join(path, "model.safetensors")):
        with open(os.path.join(path, "config.json")) as f:
            if json.load(f).get("format") != "merclip-model/1":
                return MerClip.from_hf_clip(path)
    return MerClip.load(path)


def load_segments(data_dir, model):
    with open(os.path.join(data_dir, "segments.json")) as f:
        rows = json.load(f)
    out = []
    for r in rows:
        seg = {"id": r["id"], "labels": r.get("labels", {})}
        for key in ("frames", "audio"):
            seg[key] = torch.from_numpy(np.load(os.path.join(data_dir, r[key]))).float() if r.get(key) else None
        seg["token_ids"] = model.tokenizer(r["transcript"]) if r.get("transcript") else None
        out.append(seg)
    return out


def write_synthetic(data_dir, model, n=8, seed=0):
    rng = np.random.default_rng(seed)
    size = model.config["vision"]["image_size"]
    words = "i am so happy today this is awful what a great surprise we lost again fine".split()
    rows = []
    for i in range(n):
        row = {"id": f"syn{i}", "frames": None, "audio": None, "transcript": None, "labels": {}}
        if i % 4 != 2:
            np.save(os.path.join(data_dir, f"syn{i}_frames.npy"), rng.standard_normal((12, 3, size, size), np.float32))
            row["frames"] = f"syn{i}_frames.npy"
        if i % 4 != 1:
            np.save(os.path.join(data_dir, f"syn{i}_audio.npy"),
                    rng.standard_normal((1 + i % 3, 3, size, size), np.float32))
            row["audio"] = f"syn{i}_audio.npy"
        if i % 4 != 3:
            row["transcript"] = " ".join(rng.choice(words, size=int(rng.integers(3, 12))))
        for t in model.config["tasks"]:
            labels = t["labels"]
            if t["kind"] == "multi_label":
                row["labels"][t["name"]] = [l for l in labels if rng.random() < 0.3] or [labels[0]]
            else:
                row["labels"][t["name"]] = labels[int(rng.integers(len(labels)))]
        rows.append(row)
    with open(os.path.join(data_dir, "segments.json"), "w") as f:
        json.dump(rows, f, indent=1)


def loss_fn(model, out, batch):
    total = 0.0
    for t in model.config["tasks"]:
        name, labels = t["name"], t["labels"]
        rows = [i for i, s in enumerate(batch) if name in s["labels"]]
        if not rows:
            continue
        r = out[name]
        if t["kind"] == "multi_label":
            target = torch.tensor([[float(l in batch[i]["labels"][name]) for l in labels] for i in rows])
            total = total + F.binary_cross_entropy(r["probs"][rows], target)
        else:
            target = torch.tensor([labels.index(batch[i]["labels"][name]) for i in rows])
            total = total + F.cross_entropy(r["logits"][rows], target)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init", default=os.path.join(REPO, "Tests", "Fixtures", "models", "tiny-a", "merclip"))
    ap.add_argument("--data")
    ap.add_argument("--synthetic", action="store_true", help="train on random segments written to a temp dir")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=None, help="stop after this many optimizer steps")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=8e-6)
    ap.add_argument("--weight-decay", type=float, default=1e-3)
    ap.add_argument("--dtype", default="F32", choices=sorted(DTYPES))
    ap.add_argument("--version", default=None)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if not a.data and not a.synthetic:
        ap.error("give --data DIR or --synthetic")
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    model = load_model(a.init)
    with tempfile.TemporaryDirectory() as tmp:
        data = a.data
        if a.synthetic:
            data = tmp
            write_synthetic(tmp, model, seed=a.seed)
        segments = load_segments(data, model)
    model.train()
    model.label.requires_grad_(False)   # the label encoder stays frozen
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=a.weight_decay)
    step = 0
    for epoch in range(a.epochs):
        random.shuffle(segments)
        for i in range(0, len(segments), a.batch):
            batch = segments[i:i + a.batch]
            loss = loss_fn(model, model(batch), batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            print(f"epoch {epoch} step {step} loss {loss.item():.5f}")
            if a.steps and step >= a.steps:
                break
        if a.steps and step >= a.steps:
            break
    model.eval()
    model.config["trained"] = True
    if a.version:
        model.config["version"] = a.version
    model.save(a.out, a.dtype)
    print(f"saved {a.out} (trained=true, {step} steps)")


if __name__ == "__main__":
    main()
