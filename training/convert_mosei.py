"""CMU-MOSEI labels -> a `merclip dataset build` manifest (emotion multi-label + sentiment ACC2).

    python3 training/convert_mosei.py --labels mosei_labels.csv --media VIDEO_DIR --out data/mosei/manifest.jsonl
        [--folds folds.json] [--transcripts TRANSCRIPT_DIR] [--ext mp4] [--zero-sentiment positive|negative|drop]

Format assumed (the CMU Multimodal SDK's CMU_MOSEI_Labels computational sequence, one row per labelled
segment): a CSV with the columns
    video_id,start,end,sentiment,happy,sad,anger,surprise,disgust,fear
start/end in seconds within the video; sentiment in [-3, 3]; each emotion an intensity in [0, 3].
The SDK stores these as HDF5 (<root>/data/<video_id>/intervals [n,2] and features [n,7] in this column order);
docs/training.md shows the five lines that export it to this CSV with h5py.
Media: VIDEO_DIR/<video_id>.<ext> (the full videos; each row becomes a window start..end).
Folds (optional): JSON {"train": [video ids], "valid": [...], "test": [...]} (the SDK's standard folds;
"validation"/"dev" accepted); videos in no fold are left out; without --folds the manifest has no split
and `merclip dataset build` splits 80/10/10 by id.
Transcripts (optional): TRANSCRIPT_DIR/<video_id>.txt with lines "video_id___n___start___end___text" (the SDK's
Transcript/Segmented/Combined files); a line whose start/end match the row's within 0.01 s is its transcript.
Labels: an emotion is present when its intensity is > 0 (the usual binarisation of MOSEI); the sentiment is
positive (> 0) or negative (< 0); 0 is --zero-sentiment (default positive: ACC2's non-negative vs negative).
Rows whose video is missing are skipped and listed. Ids: <video_id>_<start>_<end>.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_common import label_file_parser, media_field, polarity, read_csv, report, require_columns, split_name, write_manifest  # noqa: E402

EMOTIONS = [("happy", "happy"), ("sad", "sad"), ("anger", "angry"), ("surprise", "surprise"),
            ("disgust", "disgust"), ("fear", "fear")]
TASKS = [
    {"name": "emotion", "kind": "multi_label", "query": "Emotion", "threshold": 0.6,
     "labels": [label for _, label in EMOTIONS]},
    {"name": "sentiment", "kind": "single_label", "query": "Sentiment", "labels": ["positive", "negative"]},
]


def read_folds(path):
    with open(path, encoding="utf-8") as f:
        folds = json.load(f)
    if not isinstance(folds, dict):
        raise SystemExit(f"{path}: expected {{\"train\": [...], \"valid\": [...], \"test\": [...]}}")
    out = {}
    for name, ids in folds.items():
        split = split_name(name, path)
        for vid in ids:
            out[str(vid)] = split
    return out


def read_transcripts(directory, video_id):
    """[(start, end, text)] of a video's segmented transcript, or [] when there is no file."""
    path = os.path.join(directory, video_id + ".txt")
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("___", 4)
            if len(parts) == 5:
                try:
                    out.append((float(parts[2]), float(parts[3]), parts[4].strip()))
                except ValueError:
                    continue
    return out


def convert(labels, media, out, folds=None, transcripts=None, ext="mp4", zero="positive"):
    rows = read_csv(labels)
    require_columns(rows, ["video_id", "start", "end", "sentiment"] + [c for c, _ in EMOTIONS], labels)
    fold_of = read_folds(folds) if folds else None
    entries, skipped, cache = [], [], {}
    for n, r in enumerate(rows, start=2):
        vid = r["video_id"].strip()
        where = f"{labels}:{n}"
        try:
            start, end, score = float(r["start"]), float(r["end"]), float(r["sentiment"])
            intensity = {label: float(r[col]) for col, label in EMOTIONS}
        except ValueError as e:
            raise SystemExit(f"{where}: {e}")
        if end <= start:
            raise SystemExit(f"{where}: end {end} is not after start {start}")
        path = os.path.join(media, f"{vid}.{ext}")
        if not os.path.exists(path):
            skipped.append(f"{where}: {vid}: no {path}")
            continue
        if fold_of is not None and vid not in fold_of:
            skipped.append(f"{where}: {vid}: in no fold")
            continue
        e = {"id": f"{vid}_{start:g}_{end:g}", "media": media_field(path, out),
             "start_ms": round(start * 1000), "duration_ms": round((end - start) * 1000),
             "labels": {"emotion": [label for _, label in EMOTIONS if intensity[label] > 0]}}
        p = polarity(score, zero)
        if p is not None:
            e["labels"]["sentiment"] = p
        if transcripts:
            if vid not in cache:
                cache[vid] = read_transcripts(transcripts, vid)
            text = next((t for s, en, t in cache[vid] if abs(s - start) < 0.01 and abs(en - end) < 0.01), None)
            if text:
                e["transcript"] = text
        if fold_of is not None:
            e["split"] = fold_of[vid]
        entries.append(e)
    write_manifest(out, entries, TASKS)
    return entries, skipped


def main():
    ap = label_file_parser(__doc__)
    ap.add_argument("--folds", help="JSON {\"train\": [video ids], \"valid\": [...], \"test\": [...]}")
    ap.add_argument("--transcripts", help="folder of <video_id>.txt segmented transcripts")
    a = ap.parse_args()
    entries, skipped = convert(a.labels, a.media, a.out, a.folds, a.transcripts, a.ext, a.zero_sentiment)
    report(a.out, entries, skipped)


if __name__ == "__main__":
    main()
