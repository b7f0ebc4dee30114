"""MER-CLIP trainer (docs/design.md, docs/training.md): a `merclip dataset build` directory -> a trained model directory with its metrics.

    python training/train.py --init MODEL_OR_CLIP_DIR --data DATA_DIR --out RUN_DIR
    python training/train.py --random-preset tiny --data DATA_DIR --out RUN_DIR --lr 3e-4 --epochs 40

--init is a merclip model dir or an HF CLIP dir (imported: encoders from CLIP, heads fresh); --random-preset
tiny|vit-b-32 starts from random weights of `merclip model init --random --preset` shape. Tasks: --tasks
tasks.json, else DATA_DIR/tasks.json, else the init model's; a head whose task name the init model has keeps its
weights (ctx, logit_scale and decoder do not depend on the labels), other heads start fresh.

Defaults are the paper's setup: AdamW, lr 8e-6, weight decay 1e-3, batch 16, 20 epochs, label encoder frozen;
encoders, decoders, ctx and logit_scale trained; BCE on the multi-label probabilities, cross-entropy on the
single-label logits. 8e-6 suits fine-tuning from CLIP; from random weights use a larger rate (e.g. 3e-4).
Departures: --modality-dropout P (default 0.2) removes each present modality of a training segment with
probability P (keeping at least one), so the model learns to score segments with missing modalities; early
stopping after --patience epochs (default 5) without a better validation score (the mean over tasks of the mean
weighted accuracy / accuracy, ties broken by the lower validation loss; the best epoch's weights are exported).
--select each (the default with modality dropout) scores the validation split with all modalities and with each
modality alone and takes the mean, so the exported epoch is the one that copes best with missing modalities;
--select all scores it with all modalities only (the default without modality dropout).
--schedule cosine (default constant, the paper's) warms the rate up linearly over --warmup-epochs and then
decays it to 0 along a cosine by the last epoch; --clip-grad N caps the gradient norm (default 0: no cap).
Both keep training from random weights at a high rate stable.

RUN_DIR/checkpoints/epoch-NNN.pt   every epoch: weights, optimizer, epoch, history (--resume continues from the last)
RUN_DIR/history.json               per epoch: train loss, validation metrics
RUN_DIR/model/                     the exported model directory: "trained": true and, in config.json,
                                   "metrics": {"validation": ..., "test": ...} (training/evaluate.py's JSON)
--epochs 0 exports the initial model ("trained": false) with its metrics: the untrained baseline.
"""
import argparse
import copy
import glob
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402
from dataset import MODALITY_KEYS, Segments, data_tasks, drop_modalities, read_tasks  # noqa: E402
from evaluate import evaluate  # noqa: E402
from merclip_reference import DEFAULT_VOCAB_DIR, DTYPES, FORMAT, MerClip  # noqa: E402

# The shapes of `merclip model init --random --preset` (Sources/Model/ModelFactory.swift).
PRESETS = {
    "vit-b-32": {},
    "tiny": {
        "projection_dim": 64,
        "vision": {"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 2},
        "audio": {"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 2},
        "text": {"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 2},
        "decoder": {"num_attention_heads": 4, "intermediate_size": 256},
    },
}


def random_model(preset, tasks):
    cfg = {"format": FORMAT, "name": f"merclip-{preset}", "trained": False, **copy.deepcopy(PRESETS[preset])}
    if tasks:
        cfg["tasks"] = tasks
    m = MerClip(cfg)
    m.set_vocab(DEFAULT_VOCAB_DIR)
    return m


def load_init(path):
    with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
        if json.load(f).get("format") != FORMAT:
            return MerClip.from_hf_clip(path)
    return MerClip.load(path)


def with_tasks(model, tasks):
    """The model with heads for `tasks`: same-named heads keep their weights, new ones are fresh."""
    if tasks is None or [t["name"] for t in tasks] == [t["name"] for t in model.config["tasks"]] \
            and tasks == model.config["tasks"]:
        return model
    cfg = copy.deepcopy(model.config)
    cfg["tasks"] = tasks
    m = MerClip(cfg)
    own = m.state_dict()
    keep = {k: v for k, v in model.state_dict().items() if k in own and own[k].shape == v.shape}
    m.load_state_dict(keep, strict=False)
    m.set_vocab(model.vocab_dir)
    return m


def loss_fn(model, out, batch):
    total, device = 0.0, model.device
    for t in model.config["tasks"]:
        name, labels = t["name"], t["labels"]
        rows = [i for i, s in enumerate(batch) if name in s["labels"]]
        if not rows:
            continue
        r = out[name]
        idx = torch.tensor(rows, device=device)
        if t["kind"] == "multi_label":
            target = torch.tensor([[float(l in batch[i]["labels"][name]) for l in labels] for i in rows], device=device)
            total = total + F.binary_cross_entropy(r["probs"][idx], target)
        else:
            target = torch.tensor([labels.index(batch[i]["labels"][name]) for i in rows], device=device)
            total = total + F.cross_entropy(r["logits"][idx], target)
    return total


def lr_factor(schedule, warmup_steps, total_steps):
    """The multiplier of the base rate at each optimizer step."""
    def factor(step):
        if schedule == "constant":
            return 1.0
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        span = max(1.0, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warmup_steps) / span)))
    return factor


def check_labels(segments, tasks, split):
    for r in segments.rows:
        for t in tasks:
            v = r.get("labels", {}).get(t["name"])
            if v is None:
                continue
            vals = v if t["kind"] == "multi_label" else [v]
            if t["kind"] == "multi_label" and not isinstance(v, list) or t["kind"] == "single_label" and not isinstance(v, str):
                raise SystemExit(f"segment {r['id']} ({split}): labels.{t['name']} must be "
                                 + ("a list of labels" if t["kind"] == "multi_label" else "one label"))
            bad = [x for x in vals if x not in t["labels"]]
            if bad:
                raise SystemExit(f"segment {r['id']} ({split}): labels.{t['name']} has {bad}, not among {t['labels']}")


def score_of(result):
    vals = [metrics.headline(m) for m in result["tasks"].values()]
    return sum(vals) / len(vals)


def summary_line(result):
    parts = []
    for name, m in result["tasks"].items():
        if m["kind"] == "multi_label":
            parts.append(f"{name} wacc {m['mean_weighted_accuracy']:.4f} f1 {m['mean_f1']:.4f}")
        else:
            parts.append(f"{name} acc {m['accuracy']:.4f} f1 {m['f1']:.4f}")
    return ", ".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--init", help="merclip model dir or HF CLIP dir to start from")
    src.add_argument("--random-preset", choices=sorted(PRESETS), help="start from random weights of this shape")
    ap.add_argument("--data", required=True, help="directory written by `merclip dataset build`")
    ap.add_argument("--tasks", default=None, help="tasks.json (default: DATA/tasks.json, else the model's tasks)")
    ap.add_argument("--out", required=True, help="run directory (checkpoints/, history.json, model/)")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=8e-6)
    ap.add_argument("--weight-decay", type=float, default=1e-3)
    ap.add_argument("--modality-dropout", type=float, default=0.2)
    ap.add_argument("--schedule", choices=("constant", "cosine"), default="constant",
                    help="learning rate per step: constant, or linear warm-up then cosine decay to 0")
    ap.add_argument("--warmup-epochs", type=float, default=1.0, help="warm-up length with --schedule cosine")
    ap.add_argument("--clip-grad", type=float, default=0.0, help="cap on the gradient norm (0: none)")
    ap.add_argument("--patience", type=int, default=5, help="epochs without a better validation score before stopping")
    ap.add_argument("--select", choices=("all", "each"), default=None,
                    help="validation score from all modalities, or the mean of all and each alone "
                         "(default: each with --modality-dropout > 0, else all)")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--threads", type=int, default=0,
                    help="CPU threads for torch (default: torch's choice; 1 suits small models on a busy machine)")
    ap.add_argument("--resume", action="store_true", help="continue from the last checkpoint in RUN_DIR/checkpoints")
    ap.add_argument("--dtype", default="F32", choices=sorted(DTYPES), help="tensor dtype of the exported model")
    ap.add_argument("--name", default=None, help="model name in the exported config")
    ap.add_argument("--version", default=None, help="model version in the exported config")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.threads < 0:
        ap.error("--threads must be 0 (torch's choice) or more")
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.warmup_epochs < 0 or a.clip_grad < 0:
        ap.error("--warmup-epochs and --clip-grad must be 0 or more")
    if not 0 <= a.modality_dropout < 1:
        ap.error("--modality-dropout must be in [0, 1)")
    select = a.select or ("each" if a.modality_dropout > 0 else "all")
    if a.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: no CUDA device is available to torch")
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    np.random.seed(a.seed)

    tasks = read_tasks(a.tasks) if a.tasks else data_tasks(a.data)
    model = random_model(a.random_preset, tasks) if a.random_preset else with_tasks(load_init(a.init), tasks)
    if a.name:
        model.config["name"] = a.name
    if a.version:
        model.config["version"] = a.version
    model.to(a.device)
    splits = {s: Segments(a.data, s, model.tokenizer) for s in ("train", "validation", "test")}
    for s, seg in splits.items():
        check_labels(seg, model.config["tasks"], s)
    if not len(splits["train"]) and a.epochs > 0:
        raise SystemExit(f"{a.data}: no training segments")
    print(f"data: train {len(splits['train'])}, validation {len(splits['validation'])}, test {len(splits['test'])}; "
          f"tasks {[t['name'] for t in model.config['tasks']]}", flush=True)

    model.label.requires_grad_(False)   # the label encoder stays frozen
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=a.weight_decay)
    steps_per_epoch = max(1, math.ceil(len(splits["train"]) / a.batch))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(a.schedule, a.warmup_epochs * steps_per_epoch,
                                                             a.epochs * steps_per_epoch))
    ckpt_dir = os.path.join(a.out, "checkpoints")
    os.makedirs(ckpt_dir, exist_ok=True)
    history, start, best, best_epoch, best_state, stale = [], 0, (-math.inf, -math.inf), None, None, 0
    if a.resume:
        found = sorted(glob.glob(os.path.join(ckpt_dir, "epoch-*.pt")))
        if not found:
            raise SystemExit(f"--resume: no checkpoint in {ckpt_dir}")
        ck = torch.load(found[-1], map_location=a.device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        if "scheduler" in ck:
            sched.load_state_dict(ck["scheduler"])
        history, start, best, stale = ck["history"], ck["epoch"] + 1, tuple(ck["best"]), ck["stale"]
        best_state, best_epoch = ck["best_state"], ck["best_epoch"]
        rng.setstate(ck["rng"])
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed from {found[-1]} (epoch {ck['epoch']})", flush=True)

    for epoch in range(start, a.epochs):
        if stale >= a.patience:
            break
        model.train()
        t0, losses = time.time(), []
        for rows in splits["train"].batches(a.batch, rng):
            batch = drop_modalities(splits["train"].load(rows, a.device), a.modality_dropout, rng)
            loss = loss_fn(model, model(batch), batch)
            opt.zero_grad()
            loss.backward()
            if a.clip_grad > 0:
                torch.nn.utils.clip_grad_norm_(params, a.clip_grad)
            opt.step()
            sched.step()
            losses.append(loss.item())
        entry = {"epoch": epoch, "train_loss": sum(losses) / len(losses), "seconds": round(time.time() - t0, 1)}
        if len(splits["validation"]):
            val = evaluate(model, splits["validation"], a.batch, device=a.device, loss_fn=loss_fn)
            entry["validation"] = val
            score = (score_of(val), -val["loss"])
            if select == "each":
                alone = {m: evaluate(model, splits["validation"], a.batch, [m], a.device, loss_fn=loss_fn)
                         for m in MODALITY_KEYS}
                entry["validation_alone"] = alone
                runs = [val, *alone.values()]
                score = (sum(map(score_of, runs)) / len(runs), -sum(r["loss"] for r in runs) / len(runs))
            entry["validation_score"] = score[0]
        else:
            score = (-entry["train_loss"], 0.0)
        if score > best:
            best, best_epoch, stale = score, epoch, 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
        entry["best_epoch"] = best_epoch
        history.append(entry)
        print(f"epoch {epoch}: loss {entry['train_loss']:.4f}"
              + (f", validation loss {entry['validation']['loss']:.4f}, {summary_line(entry['validation'])}"
                 if "validation" in entry else "")
              + ("; alone: " + ", ".join(f"{m} {score_of(r):.4f}" for m, r in entry["validation_alone"].items())
                 if "validation_alone" in entry else "")
              + f" ({entry['seconds']} s)", flush=True)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "epoch": epoch, "history": history,
                    "best": best, "best_epoch": best_epoch, "best_state": best_state, "stale": stale, "rng": rng.getstate(),
                    "torch_rng": torch.get_rng_state()}, os.path.join(ckpt_dir, f"epoch-{epoch:03d}.pt"))
        if stale >= a.patience:
            print(f"early stop: no better validation score for {a.patience} epochs", flush=True)

    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    trained = best_state is not None
    model.config["trained"] = trained
    model.config["metrics"] = {s: evaluate(model, splits[s], a.batch, device=a.device)
                               for s in ("validation", "test") if len(splits[s])}
    out_dir = os.path.join(a.out, "model")
    model.to("cpu").save(out_dir, a.dtype)
    with open(os.path.join(a.out, "history.json"), "w", encoding="utf-8") as f:
        json.dump(history, f, indent=1)
    for s, m in model.config["metrics"].items():
        print(f"{s}: {summary_line(m)}")
    print(f"saved {out_dir} (trained={str(trained).lower()}, {len(history)} epochs"
          + (f", weights of epoch {best_epoch})" if trained else ")"))


if __name__ == "__main__":
    main()
