"""The MOSEI, MOSI and MELD converters on small hand-made files in the formats they document (pure Python).

    python3 -m unittest discover -s training/tests -p 'test_*.py'
"""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import convert_meld  # noqa: E402
import convert_mosei  # noqa: E402
import convert_mosi  # noqa: E402


def touch(path, data=b"\0"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write(path, text, encoding="utf-8"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding=encoding) as f:
        f.write(text)


def manifest(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


class Base(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name
        self.out = os.path.join(self.dir, "data", "manifest.jsonl")

    def tearDown(self):
        self._tmp.cleanup()

    def quiet(self, fn, *args):
        with contextlib.redirect_stdout(io.StringIO()):
            return fn(*args)


class MoseiTests(Base):
    CSV = ("video_id,start,end,sentiment,happy,sad,anger,surprise,disgust,fear\n"
           "vidA,1.5,4.25,1.6667,1.0,0.0,0.0,0.3333,0.0,0.0\n"
           "vidA,10,12,-2.0,0,2.0,0.6667,0,0,0.3333\n"
           "vidB,0,3,0.0,0,0,0,0,0,0\n"
           "vidC,0,1,1,1,0,0,0,0,0\n")

    def setUp(self):
        super().setUp()
        write(os.path.join(self.dir, "labels.csv"), self.CSV)
        touch(os.path.join(self.dir, "videos", "vidA.mp4"))
        touch(os.path.join(self.dir, "videos", "vidB.mp4"))   # vidC has no video
        write(os.path.join(self.dir, "folds.json"), json.dumps({"train": ["vidA"], "valid": ["vidB"], "test": []}))
        write(os.path.join(self.dir, "tr", "vidA.txt"), "vidA___1___1.5___4.25___I loved it\nvidA___2___5___7___other\n")

    def convert(self, **kw):
        return self.quiet(lambda: convert_mosei.convert(os.path.join(self.dir, "labels.csv"),
                                                        os.path.join(self.dir, "videos"), self.out, **kw))

    def test_rows_become_windows_with_binarised_emotions(self):
        entries, skipped = self.convert(folds=os.path.join(self.dir, "folds.json"),
                                        transcripts=os.path.join(self.dir, "tr"))
        rows = manifest(self.out)
        self.assertEqual(rows, entries)
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0], {"id": "vidA_1.5_4.25", "media": "../videos/vidA.mp4", "start_ms": 1500,
                                   "duration_ms": 2750, "labels": {"emotion": ["happy", "surprise"],
                                                                   "sentiment": "positive"},
                                   "transcript": "I loved it", "split": "train"})
        self.assertEqual(rows[1]["labels"], {"emotion": ["sad", "angry", "fear"], "sentiment": "negative"})
        self.assertNotIn("transcript", rows[1])
        self.assertEqual(rows[2]["labels"], {"emotion": [], "sentiment": "positive"})   # 0 is non-negative
        self.assertEqual(rows[2]["split"], "validation")
        self.assertEqual(len(skipped), 1)
        self.assertIn("vidC", skipped[0])
        with open(os.path.join(self.dir, "data", "tasks.json")) as f:
            tasks = json.load(f)
        self.assertEqual(tasks[0]["labels"], ["happy", "sad", "angry", "surprise", "disgust", "fear"])

    def test_zero_sentiment_drop_and_no_folds(self):
        self.convert(zero="drop")
        rows = manifest(self.out)
        self.assertNotIn("sentiment", rows[2]["labels"])
        self.assertTrue(all("split" not in r for r in rows))

    def test_missing_column_is_named(self):
        write(os.path.join(self.dir, "labels.csv"), "video_id,start,end,sentiment\nvidA,0,1,1\n")
        with self.assertRaises(SystemExit) as e:
            self.convert()
        self.assertIn("happy", str(e.exception))


class MosiTests(Base):
    def test_clips_with_text_and_modes(self):
        write(os.path.join(self.dir, "label.csv"),
              "video_id,clip_id,text,label,label_T,label_A,label_V,annotation,mode\n"
              "03bSnISJMiM,1,A LOT OF SAD PARTS,-1.8,0,0,0,Negative,train\n"
              "03bSnISJMiM,2,Its great,2.4,0,0,0,Positive,valid\n"
              "0h-zjBukYpk,3,um,0.0,0,0,0,Neutral,test\n"
              "0h-zjBukYpk,4,missing clip,1.0,0,0,0,Positive,test\n")
        for v, c in [("03bSnISJMiM", 1), ("03bSnISJMiM", 2), ("0h-zjBukYpk", 3)]:
            touch(os.path.join(self.dir, "Raw", v, f"{c}.mp4"))
        entries, skipped = self.quiet(convert_mosi.convert, os.path.join(self.dir, "label.csv"),
                                      os.path.join(self.dir, "Raw"), self.out, "mp4", "drop")
        rows = manifest(self.out)
        self.assertEqual(rows, [
            {"id": "03bSnISJMiM_1", "media": "../Raw/03bSnISJMiM/1.mp4", "start_ms": 0,
             "labels": {"sentiment": "negative"}, "split": "train", "transcript": "A LOT OF SAD PARTS"},
            {"id": "03bSnISJMiM_2", "media": "../Raw/03bSnISJMiM/2.mp4", "start_ms": 0,
             "labels": {"sentiment": "positive"}, "split": "validation", "transcript": "Its great"}])
        self.assertEqual(len(skipped), 2)   # the neutral clip (drop) and the missing file

    def test_bad_mode_is_an_error(self):
        write(os.path.join(self.dir, "label.csv"), "video_id,clip_id,text,label,mode\nv,1,x,1,holdout\n")
        touch(os.path.join(self.dir, "Raw", "v", "1.mp4"))
        with self.assertRaises(SystemExit) as e:
            self.quiet(convert_mosi.convert, os.path.join(self.dir, "label.csv"), os.path.join(self.dir, "Raw"), self.out)
        self.assertIn("holdout", str(e.exception))


class MeldTests(Base):
    HEADER = "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime\n"

    def test_parts_and_cp1252_text(self):
        train = self.HEADER + ('1,"also I was the point person on my company\u2019s transition",Chandler,neutral,neutral,0,0,8,21,'
                               '"00:16:16,059","00:16:21,731"\n'
                               '2,You must\u2019ve had your hands full.,The Interviewer,Surprise,Positive,0,1,8,21,'
                               '"00:16:21,940","00:16:23,442"\n')
        write(os.path.join(self.dir, "train.csv"), train, encoding="cp1252")
        write(os.path.join(self.dir, "dev.csv"), self.HEADER + "1,Oh my God!,Rachel,joy,positive,3,0,1,1,a,b\n"
                                                               "2,No.,Ross,anger,negative,3,1,1,1,a,b\n")
        touch(os.path.join(self.dir, "train_splits", "dia0_utt0.mp4"))
        touch(os.path.join(self.dir, "train_splits", "dia0_utt1.mp4"))
        touch(os.path.join(self.dir, "dev", "dia3_utt0.mp4"))   # dia3_utt1 is missing
        parts = [("train", os.path.join(self.dir, "train.csv"), os.path.join(self.dir, "train_splits")),
                 ("dev", os.path.join(self.dir, "dev.csv"), os.path.join(self.dir, "dev"))]
        entries, skipped = self.quiet(convert_meld.convert, parts, self.out)
        rows = manifest(self.out)
        self.assertEqual([r["id"] for r in rows], ["train_dia0_utt0", "train_dia0_utt1", "validation_dia3_utt0"])
        self.assertEqual(rows[0]["transcript"], "also I was the point person on my company\u2019s transition")
        self.assertEqual(rows[1]["labels"], {"emotion": "surprise", "sentiment": "positive"})
        self.assertEqual(rows[2], {"id": "validation_dia3_utt0", "media": "../dev/dia3_utt0.mp4", "start_ms": 0,
                                   "labels": {"emotion": "joy", "sentiment": "positive"}, "split": "validation",
                                   "transcript": "Oh my God!"})
        self.assertEqual(len(skipped), 1)
        self.assertIn("dia3_utt1", skipped[0])

    def test_unknown_emotion_is_an_error(self):
        write(os.path.join(self.dir, "t.csv"), self.HEADER + "1,hi,A,bored,neutral,0,0,1,1,a,b\n")
        touch(os.path.join(self.dir, "m", "dia0_utt0.mp4"))
        with self.assertRaises(SystemExit) as e:
            self.quiet(convert_meld.convert, [("test", os.path.join(self.dir, "t.csv"), os.path.join(self.dir, "m"))], self.out)
        self.assertIn("bored", str(e.exception))


if __name__ == "__main__":
    unittest.main()
