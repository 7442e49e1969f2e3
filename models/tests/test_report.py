"""fcn.report reads runs' history.json files; checked on a made-up run folder."""

import json
import tempfile
import unittest
from pathlib import Path

from fcn.report import curve, fold_summary, last_scored, load_history, render, render_folds


def scored(epoch, holdout, val=None):
    scores = {"holdout": {"mean_iu": holdout, "iu": [holdout] * 11}}
    if val is not None:
        scores["val"] = {"mean_iu": val, "iu": [val] * 11}
    return {"epoch": epoch, "loss": 1.0, "scores": scores}


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.run = Path(self.tmp.name) / "B"
        (self.run / "fcn32s").mkdir(parents=True)
        self.history = [scored(5, 0.25, 0.3), {"epoch": 6, "loss": 0.9}, scored(10, 0.375, 0.5)]
        (self.run / "fcn32s" / "history.json").write_text(json.dumps(self.history))

    def tearDown(self):
        self.tmp.cleanup()

    def test_curve_keeps_only_scored_epochs_in_percent(self):
        history = load_history(self.run, 32)
        self.assertEqual(curve(history, "holdout"), [(5, 25.0), (10, 37.5)])
        self.assertEqual(last_scored(history)["epoch"], 10)
        self.assertEqual(load_history(self.run, 8), [])

    def test_render_lines_up_runs_by_epoch_and_gives_the_last_per_class_row(self):
        other = [scored(10, 0.4)]
        text = render({"B": load_history(self.run, 32), "N": other}, [f"c{i}" for i in range(11)])
        rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
        self.assertEqual(rows["5"], ["25.00", "30.00", "-"])  # N has no epoch 5, and no val column
        self.assertEqual(rows["10"], ["37.50", "50.00", "40.00"])
        self.assertIn("per-class IU on holdout at the last scored epoch", text)
        self.assertIn("B (10)", text)
        self.assertIn("N (10)", text)


if __name__ == "__main__":
    unittest.main()


class FoldTest(unittest.TestCase):
    def test_fold_summary_is_the_mean_and_range_of_each_folds_last_held_out_score(self):
        folds = {"0001TP": [scored(10, 0.30), scored(20, 0.40)], "0006R0": [scored(20, 0.35)],
                 "0016E5": [scored(20, 0.45), {"epoch": 21, "loss": 1.0}]}
        summary = fold_summary(folds)
        self.assertEqual(summary["folds"], {"0001TP": 40.0, "0006R0": 35.0, "0016E5": 45.0})
        self.assertEqual(summary["epochs"], {"0001TP": 20, "0006R0": 20, "0016E5": 20})
        self.assertAlmostEqual(summary["mean"], 40.0)
        self.assertAlmostEqual(summary["spread"], 10.0)
        self.assertIn("fold mean 40.00, spread 10.00 over 3 of 3 folds", render_folds(folds))

    def test_folds_not_yet_scored_are_left_out_and_said(self):
        self.assertIn("over 1 of 2 folds", render_folds({"a": [scored(5, 0.5)], "b": []}))
        self.assertEqual(render_folds({"a": []}), "no fold has a held-out score yet")
