"""What the dataset converters share: writing a manifest and its tasks.json, sentiment polarity, reading CSV.

Pure Python (csv, json): the converters and their tests run with any python3.
"""
import csv
import json
import os

SPLIT_NAMES = {"train": "train", "valid": "validation", "validation": "validation", "dev": "validation",
               "val": "validation", "test": "test"}


def label_file_parser(doc):
    """The arguments the label-file converters share: --labels, --media, --out, --ext, --zero-sentiment."""
    import argparse
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", required=True, help="the label file")
    ap.add_argument("--media", required=True, help="the media folder")
    ap.add_argument("--out", required=True, help="the manifest to write (tasks.json goes next to it)")
    ap.add_argument("--ext", default="mp4", help="media file extension")
    ap.add_argument("--zero-sentiment", default="positive", choices=("positive", "negative", "drop"))
    return ap


def split_name(value, where):
    s = SPLIT_NAMES.get(str(value).strip().lower())
    if s is None:
        raise SystemExit(f"{where}: split {value!r} is not one of train, valid/validation/dev, test")
    return s


def polarity(score, zero):
    """ACC2 polarity of a sentiment score in [-3, 3]: > 0 positive, < 0 negative; 0 by `zero`
    ("positive": non-negative vs negative, the usual ACC2; "negative"; "drop": None)."""
    if score > 0:
        return "positive"
    if score < 0:
        return "negative"
    return None if zero == "drop" else zero


def read_csv(path):
    """Rows of a CSV file as dicts (UTF-8, with a BOM or not; cp1252 when the bytes are not UTF-8)."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise SystemExit(f"{path}: no rows")
    return rows


def require_columns(rows, columns, path):
    missing = [c for c in columns if c not in rows[0]]
    if missing:
        raise SystemExit(f"{path}: missing column(s) {', '.join(missing)} (has: {', '.join(rows[0])})")


def media_field(media_path, manifest_path):
    """The manifest's "media": the path relative to the manifest's folder."""
    return os.path.relpath(os.path.abspath(media_path), os.path.dirname(os.path.abspath(manifest_path)))


def write_manifest(path, entries, tasks, tasks_path=None):
    """Writes one JSON object per line, and the tasks next to it (tasks.json unless tasks_path)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for e in entries:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    tasks_path = tasks_path or os.path.join(os.path.dirname(os.path.abspath(path)), "tasks.json")
    with open(tasks_path, "w", encoding="utf-8") as f:
        json.dump(tasks, f, indent=1)
        f.write("\n")
    return tasks_path


def report(path, entries, skipped):
    counts = {}
    for e in entries:
        counts[e.get("split", "hash")] = counts.get(e.get("split", "hash"), 0) + 1
    parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"{path}: {len(entries)} segments ({parts})" + (f"; skipped {len(skipped)}:" if skipped else ""))
    for why in skipped[:20]:
        print(f"  {why}")
    if len(skipped) > 20:
        print(f"  ... {len(skipped) - 20} more")
