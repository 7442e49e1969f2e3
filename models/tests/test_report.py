"""fcn.report reads runs' history.json files; checked on a made-up run folder."""

import json
import tempfile
import unittest
from pathlib import Path

from fcn.report import curve, last_scored, load_history, render


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
