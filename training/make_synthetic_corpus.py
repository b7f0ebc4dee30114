"""A labelled synthetic corpus whose labels can be recovered from each modality on its own.

    python3 training/make_synthetic_corpus.py OUT_DIR [--per-class 60] [--seed 0] [--jobs 2]

Four classes, each with an emotion label (multi_label task "emotion": happy, sad, angry, surprise; one label per
segment) and a sentiment (single_label "sentiment": happy and surprise positive, sad and angry negative):
- vision: 2 s of 160x120 video whose background colour is the class's (yellow, blue, red, green), its
  brightness jittered, with a white square at a random place and temporal noise;
- audio: espeak-ng speaking neutral words in the class's voice, pitch and rate, jittered: happy a high female
  voice, fast (F0 ~310 Hz); angry a low female voice, fastest (~170 Hz); surprise a high male voice, slow
  (~160 Hz); sad a low male voice, slowest (~80 Hz). Every pair of classes differs in at least two of voice,
  pitch and rate, and no single one of them splits the sentiments (each sentiment has a male and a female voice,
  a high and a low pitch), so audio alone gets the sentiment only by telling the four classes apart;
- language: a sidecar .srt (the worker reads it as the transcript) of neutral words around one of the class's
  words (happy: joyful, delighted, ...).
The spoken words never include class words, and the transcript never names a colour or voice, so each modality
carries the label by itself. Writes OUT_DIR/media/NNNN.mp4 + .srt, OUT_DIR/manifest.jsonl (explicit splits:
per class, 2/3 train, 1/6 validation, 1/6 test) and OUT_DIR/tasks.json. Needs ffmpeg and espeak-ng on PATH;
pure Python otherwise. Deterministic for a seed (file bytes may differ across ffmpeg versions).
"""
import argparse
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

CLASSES = [
    # emotion, sentiment, colour (RGB), (espeak-ng voice, pitch 0-99, words per minute), class words
    ("happy", "positive", (235, 200, 40), ("en-us+f3", 85, 230), ["joyful", "delighted", "cheerful", "glad", "thrilled"]),
    ("sad", "negative", (40, 70, 200), ("en-us", 10, 110), ["gloomy", "tearful", "miserable", "sorrowful", "heartbroken"]),
    ("angry", "negative", (210, 40, 40), ("en-us+f3", 15, 310), ["furious", "enraged", "irate", "livid", "outraged"]),
    ("surprise", "positive", (40, 170, 70), ("en-us", 90, 150), ["astonished", "amazed", "startled", "stunned", "speechless"]),
]
NEUTRAL = ("table window river paper morning number seven basket garden station pencil ladder bottle "
           "carpet island market engine button corner letter bridge cable folder ticket").split()
TASKS = [
    {"name": "emotion", "kind": "multi_label", "query": "Emotion", "threshold": 0.6,
     "labels": [c[0] for c in CLASSES]},
    {"name": "sentiment", "kind": "single_label", "query": "Sentiment", "labels": ["positive", "negative"]},
]
SECONDS = 2.0


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr.decode(errors='replace')[-2000:]}")


def make_item(out, index, cls, rng):
    emotion, _, rgb, (voice, pitch, rate), words = cls
    name = f"{index:04d}"
    media = os.path.join(out, "media", name + ".mp4")
    wav = os.path.join(out, "media", name + ".wav")
    spoken = " ".join(rng.sample(NEUTRAL, 4))
    run(["espeak-ng", "-w", wav, "-p", str(max(0, min(99, pitch + rng.randint(-6, 6)))),
         "-s", str(rate + rng.randint(-15, 15)), "-v", voice, spoken])
    k = rng.uniform(0.75, 1.15)
    colour = "0x%02x%02x%02x" % tuple(max(0, min(255, int(c * k))) for c in rgb)
    x, y = rng.randint(0, 120), rng.randint(0, 80)
    video = (f"color=c={colour}:s=160x120:d={SECONDS}:r=12,"
             f"drawbox=x={x}:y={y}:w=36:h=36:color=white@0.9:t=fill,noise=alls=12:allf=t")
    run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", video, "-i", wav,
         "-filter_complex", f"[1:a]apad,atrim=0:{SECONDS},aresample=16000[a]", "-map", "0:v", "-map", "[a]",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
         "-t", str(SECONDS), "-fflags", "+bitexact", "-map_metadata", "-1", media])
    os.remove(wav)
    filler = rng.sample(NEUTRAL, 3)
    text = f"the {filler[0]} and the {filler[1]} left me {rng.choice(words)} near the {filler[2]}"
    with open(os.path.join(out, "media", name + ".srt"), "w", encoding="utf-8") as f:
        f.write(f"1\n00:00:00,000 --> 00:00:02,000\n{text}\n")
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--per-class", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    if a.per_class < 6:
        ap.error("--per-class must be at least 6 (each split needs segments of every class)")
    os.makedirs(os.path.join(a.out, "media"), exist_ok=True)
    plan = []
    for c_index, cls in enumerate(CLASSES):
        for j in range(a.per_class):
            split = "train" if j < a.per_class * 2 // 3 else "validation" if j < a.per_class * 5 // 6 else "test"
            plan.append((len(plan), cls, split))
    rngs = [random.Random(a.seed * 100003 + i) for i in range(len(plan))]
    done = [0]

    def work(p):
        index, cls, _ = p
        name = make_item(a.out, index, cls, rngs[index])
        done[0] += 1
        if sys.stderr.isatty():
            sys.stderr.write(f"\rcorpus: {done[0]}/{len(plan)}")
        return name

    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        names = list(pool.map(work, plan))
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    with open(os.path.join(a.out, "manifest.jsonl"), "w", encoding="utf-8") as f:
        for name, (_, cls, split) in zip(names, plan):
            f.write(json.dumps({"id": name, "media": f"media/{name}.mp4", "start_ms": 0, "duration_ms": int(SECONDS * 1000),
                                "labels": {"emotion": [cls[0]], "sentiment": cls[1]}, "split": split}) + "\n")
    with open(os.path.join(a.out, "tasks.json"), "w", encoding="utf-8") as f:
        json.dump(TASKS, f, indent=1)
    print(f"{a.out}: {len(plan)} segments ({a.per_class} per class), manifest.jsonl, tasks.json")


if __name__ == "__main__":
    main()
