"""Evaluate a MER-CLIP model directory on a split of a `merclip dataset build` directory; prints JSON metrics.

    python training/evaluate.py --model DIR --data DATA_DIR [--split test] [--modalities vision,audio]
                                [--predictions OUT.jsonl] [--batch 16] [--device cpu|cuda]

Metrics (training/metrics.py): per multi-label task the weighted accuracy, F1 and accuracy of each label, their
means and the subset accuracy; per single-label task the accuracy, weighted F1 and macro F1. --modalities keeps
only those modalities of every segment (the others are treated as missing, as the engine treats them).
--predictions writes one JSON line per segment: id, per task the probabilities (label order) and the prediction.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402
from dataset import MODALITY_KEYS, Segments, only_modalities  # noqa: E402
from merclip_reference import MerClip  # noqa: E402


@torch.inference_mode()
def evaluate(model, segments, batch=16, modalities=None, device="cpu", keep_predictions=False, loss_fn=None):
    """{"segments", "tasks": {name: metrics}} over a Segments split (and "loss", the mean of loss_fn(model, out,
    batch) per segment, when given), plus the rows of predictions when asked."""
    was_training = model.training
    model.eval()
    truth = {t["name"]: [] for t in model.config["tasks"]}
    probs = {t["name"]: [] for t in model.config["tasks"]}
    ids = {t["name"]: [] for t in model.config["tasks"]}
    lines, loss_sum = [], 0.0
    cache = {t["name"]: model.label_embeddings(t["name"]) for t in model.config["tasks"]}
    for rows in segments.batches(batch):
        segs = segments.load(rows, device)
        if modalities is not None:
            segs = only_modalities(segs, modalities)
        out = model(segs, label_cache=cache)
        if loss_fn is not None:
            loss_sum += float(loss_fn(model, out, segs)) * len(segs)
        for i, s in enumerate(segs):
            line = {"id": s["id"], "tasks": {}}
            for t in model.config["tasks"]:
                name = t["name"]
                p = [float(x) for x in out[name]["probs"][i].cpu()]
                line["tasks"][name] = {"probabilities": p, "predicted": out[name]["predicted"][i]}
                if name in s["labels"]:
                    truth[name].append(s["labels"][name])
                    probs[name].append(p)
                    ids[name].append(s["id"])
            lines.append(line)
    result = {"segments": len(segments), "tasks": {}}
    if loss_fn is not None:
        result["loss"] = loss_sum / max(1, len(segments))
    for t in model.config["tasks"]:
        name = t["name"]
        result["tasks"][name] = metrics.task_metrics(t, truth[name], metrics.predictions(t, probs[name]))
    model.train(was_training)
    return (result, lines) if keep_predictions else result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="MER-CLIP model directory")
    ap.add_argument("--data", required=True, help="directory written by `merclip dataset build`")
    ap.add_argument("--split", default="test", choices=("train", "validation", "test"))
    ap.add_argument("--modalities", default=None, help="comma separated subset of language,vision,audio")
    ap.add_argument("--predictions", default=None, help="write per-segment probabilities here (JSON lines)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--threads", type=int, default=0,
                    help="CPU threads for torch (default: torch's choice; 1 suits small models on a busy machine)")
    a = ap.parse_args()
    if a.threads < 0:
        ap.error("--threads must be 0 (torch's choice) or more")
    if a.threads:
        torch.set_num_threads(a.threads)
    mods = None
    if a.modalities:
        mods = [m.strip() for m in a.modalities.split(",") if m.strip()]
        bad = [m for m in mods if m not in MODALITY_KEYS]
        if bad or not mods:
            ap.error(f"--modalities {a.modalities}: expected names from language, vision, audio")
    torch.set_grad_enabled(False)
    model = MerClip.load(a.model).to(a.device)
    segments = Segments(a.data, a.split, model.tokenizer)
    if not len(segments):
        raise SystemExit(f"{a.data}: no segments in split {a.split}")
    result, lines = evaluate(model, segments, a.batch, mods, a.device, keep_predictions=True)
    result.update({"model": a.model, "data": a.data, "split": a.split, "modalities": mods or list(MODALITY_KEYS),
                   "trained": model.config.get("trained", False)})
    if a.predictions:
        with open(a.predictions, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
