"""metrics.py against hand-worked small cases (pure Python: runs with any python3, no numpy or torch).

    python3 -m unittest discover -s training/tests -p 'test_*.py'
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import metrics  # noqa: E402


class MultiLabelTests(unittest.TestCase):
    # labels a, b; five segments
    truth = [{"a"}, {"a", "b"}, set(), {"b"}, {"a"}]
    pred = [{"a"}, {"a"}, {"b"}, {"b"}, set()]

    def test_hand_worked(self):
        m = metrics.multi_label(self.truth, self.pred, ["a", "b"])
        # a: P 3, N 2, TP 2, FN 1, FP 0, TN 2 -> WA (2/3 + 2/2)/2, F1 4/5, accuracy 4/5
        self.assertAlmostEqual(m["labels"]["a"]["weighted_accuracy"], 5 / 6, places=12)
        self.assertAlmostEqual(m["labels"]["a"]["f1"], 0.8, places=12)
        self.assertAlmostEqual(m["labels"]["a"]["accuracy"], 0.8, places=12)
        # b: P 2, N 3, TP 1, FN 1, FP 1, TN 2 -> WA (1/2 + 2/3)/2, F1 2/4, accuracy 3/5
        self.assertAlmostEqual(m["labels"]["b"]["weighted_accuracy"], 7 / 12, places=12)
        self.assertAlmostEqual(m["labels"]["b"]["f1"], 0.5, places=12)
        self.assertAlmostEqual(m["labels"]["b"]["accuracy"], 0.6, places=12)
        self.assertAlmostEqual(m["mean_weighted_accuracy"], (5 / 6 + 7 / 12) / 2, places=12)
        self.assertAlmostEqual(m["mean_f1"], 0.65, places=12)
        self.assertAlmostEqual(m["subset_accuracy"], 2 / 5, places=12)   # segments 0 and 3
        self.assertEqual(metrics.headline(m), m["mean_weighted_accuracy"])

    def test_weighted_accuracy_is_the_papers_formula(self):
        # WA = (TP * N / P + TN) / (2N) for label a: (2 * 2 / 3 + 2) / 4
        m = metrics.multi_label(self.truth, self.pred, ["a", "b"])
        self.assertAlmostEqual(m["labels"]["a"]["weighted_accuracy"], (2 * 2 / 3 + 2) / 4, places=12)

    def test_label_without_negatives_or_positives(self):
        m = metrics.multi_label([{"a"}, {"a"}], [{"a"}, set()], ["a", "b"])
        self.assertAlmostEqual(m["labels"]["a"]["weighted_accuracy"], 0.5, places=12)   # TP/P only
        self.assertAlmostEqual(m["labels"]["b"]["weighted_accuracy"], 1.0, places=12)   # TN/N only
        self.assertEqual(m["labels"]["b"]["f1"], 0.0)

    def test_predictions_use_the_threshold(self):
        task = {"kind": "multi_label", "labels": ["a", "b", "c"], "threshold": 0.6}
        self.assertEqual(metrics.predictions(task, [[0.7, 0.6, 0.2], [0.1, 0.61, 0.9]]), [["a"], ["b", "c"]])


class SingleLabelTests(unittest.TestCase):
    def test_hand_worked(self):
        truth = ["pos", "pos", "pos", "pos", "neg", "neg"]
        pred = ["pos", "pos", "pos", "neg", "neg", "pos"]
        m = metrics.single_label(truth, pred, ["pos", "neg"])
        self.assertAlmostEqual(m["accuracy"], 4 / 6, places=12)
        # pos: TP 3, FN 1, FP 1 -> F1 6/8 (support 4); neg: TP 1, FN 1, FP 1 -> F1 2/4 (support 2)
        self.assertAlmostEqual(m["labels"]["pos"]["f1"], 0.75, places=12)
        self.assertAlmostEqual(m["labels"]["neg"]["f1"], 0.5, places=12)
        self.assertAlmostEqual(m["f1"], (0.75 * 4 + 0.5 * 2) / 6, places=12)
        self.assertAlmostEqual(m["macro_f1"], 0.625, places=12)
        self.assertEqual(metrics.headline(m), m["accuracy"])

    def test_predictions_take_the_argmax(self):
        task = {"kind": "single_label", "labels": ["pos", "neg", "neutral"]}
        self.assertEqual(metrics.predictions(task, [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]), ["neg", "pos"])

    def test_task_metrics_dispatches_on_kind(self):
        task = {"kind": "single_label", "labels": ["x", "y"]}
        self.assertEqual(metrics.task_metrics(task, ["x", "y"], ["x", "x"])["accuracy"], 0.5)

    def test_length_mismatch_is_an_error(self):
        with self.assertRaises(ValueError):
            metrics.single_label(["x"], ["x", "y"], ["x", "y"])


if __name__ == "__main__":
    unittest.main()
