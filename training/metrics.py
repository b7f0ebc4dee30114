"""The paper's evaluation metrics, in pure Python (no numpy, no torch), so CI can test them with any python3.

Multi-label task (CMU-MOSEI emotions), per label l over the segments that carry the task:
    P = positives, N = negatives, TP / TN = correctly predicted positives / negatives (predicted = p_l > threshold)
    weighted accuracy  WA_l = (TP * N / P + TN) / (2 N)  = (TP/P + TN/N) / 2     (TP/P alone when N = 0,
                                                                                 TN/N alone when P = 0)
    F1_l = 2 TP / (2 TP + FP + FN)                                               (0 when TP + FP + FN = 0)
    accuracy_l = (TP + TN) / (P + N)
  and their means over the labels (mean_weighted_accuracy, mean_f1), plus subset accuracy (every label right).
Single-label task (ACC2 / F1 for sentiment): accuracy = share of segments whose argmax is the true label;
    f1 = the support-weighted mean over labels of the one-vs-rest F1 (the weighted F1 the MOSEI papers report),
    macro_f1 = its unweighted mean; per label: F1 and support.
"""


def _counts(pairs):
    """(TP, FN, FP) of (truly has the label, predicted to have it) pairs."""
    pairs = list(pairs)
    return (sum(1 for t, p in pairs if t and p), sum(1 for t, p in pairs if t and not p),
            sum(1 for t, p in pairs if p and not t))


def _f1(tp, fp, fn):
    d = 2 * tp + fp + fn
    return 2 * tp / d if d else 0.0


def multi_label(truth, predicted, labels):
    """truth, predicted: one set (or list) of labels per segment. Returns the metrics dict."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true label sets but {len(predicted)} predictions")
    n = len(truth)
    per = {}
    for l in labels:
        tp, fn, fp = _counts((l in t, l in p) for t, p in zip(truth, predicted))
        tn = n - tp - fn - fp
        pos, neg = tp + fn, tn + fp
        if pos and neg:
            wa = (tp / pos + tn / neg) / 2
        elif pos:
            wa = tp / pos
        elif neg:
            wa = tn / neg
        else:
            wa = 0.0
        per[l] = {"weighted_accuracy": wa, "f1": _f1(tp, fp, fn), "accuracy": (tp + tn) / n if n else 0.0,
                  "positives": pos}
    k = len(labels)
    exact = sum(1 for t, p in zip(truth, predicted) if set(t) == set(p))
    return {"kind": "multi_label", "segments": n,
            "mean_weighted_accuracy": sum(v["weighted_accuracy"] for v in per.values()) / k if k else 0.0,
            "mean_f1": sum(v["f1"] for v in per.values()) / k if k else 0.0,
            "subset_accuracy": exact / n if n else 0.0,
            "labels": per}


def single_label(truth, predicted, labels):
    """truth, predicted: one label per segment. Returns the metrics dict."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predictions")
    n = len(truth)
    per = {}
    for l in labels:
        tp, fn, fp = _counts((t == l, p == l) for t, p in zip(truth, predicted))
        per[l] = {"f1": _f1(tp, fp, fn), "support": tp + fn}
    right = sum(1 for t, p in zip(truth, predicted) if t == p)
    return {"kind": "single_label", "segments": n,
            "accuracy": right / n if n else 0.0,
            "f1": sum(v["f1"] * v["support"] for v in per.values()) / n if n else 0.0,
            "macro_f1": sum(v["f1"] for v in per.values()) / len(labels) if labels else 0.0,
            "labels": per}


def headline(m):
    """The one number per task that early stopping and summaries use: mean weighted accuracy (multi-label)
    or accuracy (single-label)."""
    return m["mean_weighted_accuracy"] if m["kind"] == "multi_label" else m["accuracy"]


def task_metrics(task, truth, predicted):
    """Metrics of one task config ({"kind", "labels"}) from its truths and predictions."""
    fn = multi_label if task["kind"] == "multi_label" else single_label
    return fn(truth, predicted, task["labels"])


def predictions(task, probs):
    """Predicted labels from per-segment probability rows, as the engine decides them: labels with
    p > threshold (multi-label), the argmax (single-label; the first label on a tie)."""
    labels = task["labels"]
    if task["kind"] == "multi_label":
        thr = task.get("threshold", 0.6)
        return [[l for l, p in zip(labels, row) if p > thr] for row in probs]
    return [labels[max(range(len(row)), key=lambda j: (row[j], -j))] for row in probs]
