"""CMU-MOSI labels -> a `merclip dataset build` manifest (sentiment ACC2).

    python3 training/convert_mosi.py --labels label.csv --media RAW_DIR --out data/mosi/manifest.jsonl
        [--ext mp4] [--zero-sentiment positive|negative|drop]

Format assumed (the per-clip label.csv of the MMSA distribution of CMU-MOSI, also used for CMU-MOSEI):
a CSV with at least the columns
    video_id,clip_id,text,label,mode
label: the sentiment score in [-3, 3]; text: the clip's transcript; mode: train, valid or test.
Other columns (label_T, label_A, label_V, annotation) are ignored.
Media: RAW_DIR/<video_id>/<clip_id>.<ext>, one file per clip (the whole file is the segment).
Labels: positive (> 0) or negative (< 0); 0 is --zero-sentiment (default positive, ACC2's non-negative vs
negative; drop leaves the clip out). Clips whose file is missing are skipped and listed. Ids: <video_id>_<clip_id>.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_common import label_file_parser, media_field, polarity, read_csv, report, require_columns, split_name, write_manifest  # noqa: E402

TASKS = [{"name": "sentiment", "kind": "single_label", "query": "Sentiment", "labels": ["positive", "negative"]}]


def convert(labels, media, out, ext="mp4", zero="positive"):
    rows = read_csv(labels)
    require_columns(rows, ["video_id", "clip_id", "text", "label", "mode"], labels)
    entries, skipped = [], []
    for n, r in enumerate(rows, start=2):
        where = f"{labels}:{n}"
        vid, clip = r["video_id"].strip(), r["clip_id"].strip()
        try:
            score = float(r["label"])
        except ValueError:
            raise SystemExit(f"{where}: label {r['label']!r} is not a number")
        path = os.path.join(media, vid, f"{clip}.{ext}")
        if not os.path.exists(path):
            skipped.append(f"{where}: {vid}/{clip}: no {path}")
            continue
        p = polarity(score, zero)
        if p is None:
            skipped.append(f"{where}: {vid}/{clip}: sentiment 0 (--zero-sentiment drop)")
            continue
        e = {"id": f"{vid}_{clip}", "media": media_field(path, out), "start_ms": 0,
             "labels": {"sentiment": p}, "split": split_name(r["mode"], where)}
        if r["text"].strip():
            e["transcript"] = r["text"].strip()
        entries.append(e)
    write_manifest(out, entries, TASKS)
    return entries, skipped


def main():
    ap = label_file_parser(__doc__)
    a = ap.parse_args()
    entries, skipped = convert(a.labels, a.media, a.out, a.ext, a.zero_sentiment)
    report(a.out, entries, skipped)


if __name__ == "__main__":
    main()
