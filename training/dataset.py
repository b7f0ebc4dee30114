"""The training layout `merclip dataset build` writes, read for train.py and evaluate.py.

DIR/segments.json   [{"id", "split": "train"|"validation"|"test", "media", "start_ms", "duration_ms",
                      "frames": "items/<key>/frames.npy"|null   float32 [F,3,S,S], CLIP-normalised
                      "audio": "items/<key>/audio.npy"|null     float32 [T_A,3,S,S], normalised log-mel images
                      "transcript": str|null, "token_ids": [int]|null  (the model's tokenizer, SOS..EOS),
                      "labels": {"<task>": ["label", ...] | "label"}, "missing": {"<modality>": "why"}}]
DIR/tasks.json      [{"name", "kind", "labels", "query", "threshold"}]
.npy paths are relative to DIR. Older layouts without "split" read every row as "train".
"""
import json
import os
import random

import numpy as np
import torch

SPLITS = ("train", "validation", "test")
MODALITY_KEYS = {"vision": "frames", "audio": "audio", "language": "token_ids"}


def read_rows(data_dir):
    path = os.path.join(data_dir, "segments.json")
    try:
        with open(path, encoding="utf-8") as f:
            rows = json.load(f)
    except FileNotFoundError:
        raise SystemExit(f"{path}: no such file (build the data with `merclip dataset build`)")
    except json.JSONDecodeError as e:
        raise SystemExit(f"{path}: not JSON: {e}")
    if not isinstance(rows, list):
        raise SystemExit(f"{path}: expected a JSON list of segments")
    return rows


def read_tasks(path):
    with open(path, encoding="utf-8") as f:
        tasks = json.load(f)
    if not isinstance(tasks, list) or not tasks:
        raise SystemExit(f"{path}: expected a non-empty JSON list of tasks")
    for t in tasks:
        if not isinstance(t, dict) or t.get("kind") not in ("multi_label", "single_label") or not t.get("name") \
                or not isinstance(t.get("labels"), list) or not t["labels"]:
            raise SystemExit(f"{path}: task {t!r} needs name, kind (multi_label|single_label) and labels")
        t.setdefault("query", "")
        if t["kind"] == "multi_label":
            t.setdefault("threshold", 0.6)
    return tasks


def data_tasks(data_dir):
    """DIR/tasks.json when the dataset has one, else None."""
    path = os.path.join(data_dir, "tasks.json")
    return read_tasks(path) if os.path.exists(path) else None


class Segments:
    """The rows of one split; features are read from disk per batch (a corpus need not fit in memory)."""

    def __init__(self, data_dir, split, tokenizer):
        self.dir = data_dir
        self.rows = [r for r in read_rows(data_dir) if r.get("split", "train") == split]
        for r in self.rows:
            if r.get("token_ids") is None and r.get("transcript"):
                r["token_ids"] = tokenizer(r["transcript"])
            elif r.get("token_ids") is not None and r.get("transcript"):
                mine = tokenizer(r["transcript"])
                if mine != r["token_ids"]:
                    raise SystemExit(f"{data_dir}: segment {r['id']}: its token ids differ from this model's tokenizer "
                                     "(the data was built with another vocabulary: rebuild with --model)")

    def __len__(self):
        return len(self.rows)

    def load(self, rows, device="cpu"):
        out = []
        for r in rows:
            seg = {"id": r["id"], "labels": r.get("labels", {}), "token_ids": r.get("token_ids") or None}
            for key in ("frames", "audio"):
                seg[key] = None
                if r.get(key):
                    seg[key] = torch.from_numpy(np.load(os.path.join(self.dir, r[key]))).float().to(device)
            out.append(seg)
        return out

    def batches(self, size, shuffle_rng=None):
        order = list(range(len(self.rows)))
        if shuffle_rng is not None:
            shuffle_rng.shuffle(order)
        for i in range(0, len(order), size):
            yield [self.rows[j] for j in order[i:i + size]]


def present(seg):
    return [m for m, k in MODALITY_KEYS.items() if seg.get(k) is not None and len(seg[k]) > 0]


def drop_modalities(segments, p, rng):
    """Modality dropout: each present modality is removed with probability p; a segment keeps at least one."""
    if p <= 0:
        return segments
    out = []
    for s in segments:
        mods = present(s)
        keep = [m for m in mods if rng.random() >= p]
        if mods and not keep:
            keep = [rng.choice(mods)]
        s = dict(s)
        for m in mods:
            if m not in keep:
                s[MODALITY_KEYS[m]] = None
        out.append(s)
    return out


def only_modalities(segments, allowed):
    """Segments with every modality outside `allowed` removed (for per-modality evaluation)."""
    out = []
    for s in segments:
        s = dict(s)
        for m, k in MODALITY_KEYS.items():
            if m not in allowed:
                s[k] = None
        out.append(s)
    return out


def new_rng(seed):
    return random.Random(seed)
