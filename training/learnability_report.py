"""The learnability run's report (ops/learnability.sh): accuracy per task and modality set, trained and untrained,
and how exactly `merclip score` serves the trained model compared with PyTorch on the test segments.

    python3 training/learnability_report.py WORK_DIR

Reads WORK_DIR/eval-{trained,untrained}-{all,language,vision,audio}.json (training/evaluate.py),
WORK_DIR/pytorch.jsonl (evaluate.py --predictions), WORK_DIR/score.jsonl (merclip score) and
WORK_DIR/data/segments.json. Prints a Markdown table and the serving comparison as JSON; exits 1 when the
served predictions differ from PyTorch's on more than 1% of the (segment, task) pairs or a probability
differs by more than 1e-3. Pure Python.
"""
import json
import os
import sys

SETS = ["all", "language", "vision", "audio"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def figures(m):
    if m["kind"] == "multi_label":
        return m["subset_accuracy"], m["mean_weighted_accuracy"], m["mean_f1"]
    return m["accuracy"], None, m["f1"]


def serving(work):
    rows = load(os.path.join(work, "data", "segments.json"))
    corpus = os.path.join(work, "corpus")
    by_media = {os.path.normpath(os.path.join(corpus, r["media"])): r["id"] for r in rows}
    torch_lines = {}
    with open(os.path.join(work, "pytorch.jsonl"), encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            torch_lines[d["id"]] = d["tasks"]
    pairs = agree = 0
    worst = 0.0
    with open(os.path.join(work, "score.jsonl"), encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if "error" in d:
                raise SystemExit(f"merclip score failed on {d['input']}: {d['error']}")
            seg = by_media[os.path.normpath(os.path.abspath(d["input"]))]
            for task, t in d["tasks"].items():
                ref = torch_lines[seg][task]
                probs = [t["probabilities"][l] for l in t["labels"]]
                worst = max(worst, max(abs(a - b) for a, b in zip(probs, ref["probabilities"])))
                want = ref["predicted"] if isinstance(ref["predicted"], list) else [ref["predicted"]]
                pairs += 1
                agree += t["predicted"] == want
    return {"segments": len(torch_lines), "task_predictions": pairs, "agree": agree,
            "agreement": agree / pairs if pairs else 0.0, "max_abs_probability_difference": worst}


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    work = sys.argv[1]
    print("| model | modalities | " + " | ".join(
        f"{t} {what}" for t, what in [("emotion", "subset acc"), ("emotion", "mean WA"), ("emotion", "mean F1"),
                                      ("sentiment", "acc"), ("sentiment", "F1")]) + " |")
    print("| --- | --- | " + " | ".join(["---"] * 5) + " |")
    for model in ("trained", "untrained"):
        for s in SETS:
            m = load(os.path.join(work, f"eval-{model}-{s}.json"))["tasks"]
            e, st = figures(m["emotion"]), figures(m["sentiment"])
            cells = [e[0], e[1], e[2], st[0], st[2]]
            print(f"| {model} | {s} | " + " | ".join(f"{100 * c:.1f}%" for c in cells) + " |")
    result = serving(work)
    print(json.dumps({"serving": result}, indent=1))
    if result["agreement"] < 0.99 or result["max_abs_probability_difference"] > 1e-3:
        print("merclip score does not serve the trained model as PyTorch computes it", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
