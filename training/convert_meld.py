"""MELD CSVs -> a `merclip dataset build` manifest (emotion and sentiment, both single-label).

    python3 training/convert_meld.py --out data/meld/manifest.jsonl \
        --part train train_sent_emo.csv train_splits \
        --part validation dev_sent_emo.csv dev_splits_complete \
        --part test test_sent_emo.csv output_repeated_splits_test

Format assumed (MELD.Raw): each CSV has the columns
    Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime
Emotion: neutral, joy, sadness, anger, surprise, fear, disgust; Sentiment: neutral, positive, negative.
Media: MEDIA_DIR/dia<Dialogue_ID>_utt<Utterance_ID>.mp4, one clip per utterance (the whole file is the
segment; StartTime/EndTime are times in the episode and are not used). The Utterance is the transcript
(MELD's CSVs hold some cp1252 bytes; they are read as such when the file is not UTF-8).
Utterances whose clip is missing (MELD lacks a few) are skipped and listed. Ids: <split>_dia<D>_utt<U>.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_common import media_field, read_csv, report, require_columns, split_name, write_manifest  # noqa: E402

EMOTIONS = ["neutral", "joy", "sadness", "anger", "surprise", "fear", "disgust"]
SENTIMENTS = ["neutral", "positive", "negative"]
TASKS = [
    {"name": "emotion", "kind": "single_label", "query": "Emotion", "labels": EMOTIONS},
    {"name": "sentiment", "kind": "single_label", "query": "Sentiment", "labels": SENTIMENTS},
]


def convert(parts, out):
    """parts: [(split, csv path, media dir)]."""
    entries, skipped = [], []
    for split, path, media in parts:
        split = split_name(split, path)
        rows = read_csv(path)
        require_columns(rows, ["Utterance", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID"], path)
        for n, r in enumerate(rows, start=2):
            where = f"{path}:{n}"
            emotion, sentiment = r["Emotion"].strip().lower(), r["Sentiment"].strip().lower()
            if emotion not in EMOTIONS:
                raise SystemExit(f"{where}: Emotion {r['Emotion']!r} is not one of {', '.join(EMOTIONS)}")
            if sentiment not in SENTIMENTS:
                raise SystemExit(f"{where}: Sentiment {r['Sentiment']!r} is not one of {', '.join(SENTIMENTS)}")
            d, u = r["Dialogue_ID"].strip(), r["Utterance_ID"].strip()
            clip = os.path.join(media, f"dia{d}_utt{u}.mp4")
            if not os.path.exists(clip):
                skipped.append(f"{where}: no {clip}")
                continue
            e = {"id": f"{split}_dia{d}_utt{u}", "media": media_field(clip, out), "start_ms": 0,
                 "labels": {"emotion": emotion, "sentiment": sentiment}, "split": split}
            if r["Utterance"].strip():
                e["transcript"] = " ".join(r["Utterance"].split())
            entries.append(e)
    write_manifest(out, entries, TASKS)
    return entries, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--part", nargs=3, action="append", required=True, metavar=("SPLIT", "CSV", "MEDIA_DIR"))
    a = ap.parse_args()
    entries, skipped = convert(a.part, a.out)
    report(a.out, entries, skipped)


if __name__ == "__main__":
    main()
