"""fcn.report reads runs' history.json files; checked on a made-up run folder."""

import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

from fcn.report import (FOLD_SCORES, class_gains, compare_folds, curve, fold_rows, fold_summary, last_scored,
                        load_history, main, read_rows, recorded_lines, render, planned_epochs,
                        render_folds, run_labels, status_line)


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

    def test_status_gives_the_finest_started_stage_and_its_held_out_scores(self):
        self.assertEqual(status_line(self.run), f"{self.run}: fcn32s epoch 10, held-out 37.50 at 10 (best 37.50 at 10)")
        (self.run / "fcn16s").mkdir()
        (self.run / "fcn16s" / "history.json").write_text(json.dumps([scored(5, 0.41), {"epoch": 6, "loss": 1}]))
        self.assertEqual(status_line(self.run), f"{self.run}: fcn16s epoch 6, held-out 41.00 at 5 (best 41.00 at 5)")
        self.assertEqual(status_line(self.run / "nothing"), f"{self.run / 'nothing'}: not started")

    def test_status_says_how_many_epochs_the_stage_has_and_the_hours_left_at_its_recent_pace(self):
        # A restarted run logs its stage again; the last line counts. Progress bars do not.
        log = ("fcn32s: 3.09M parameters, 150 epochs\nfcn32s epoch 1/150 [#] 1/21\n"
               "resuming fcn32s at epoch 1\nfcn32s: 4.75M parameters, 300 epochs\n")
        self.assertEqual(planned_epochs(log), {32: 300})
        (self.run / "train.log").write_text(log)
        # Eleven timed epochs: the median of the last ten is 60 s (the slow first one drops out).
        history = [{"epoch": e, "loss": 1.0, "seconds": 600 if e == 1 else 60} for e in range(1, 11)]
        history.append({**scored(11, 0.3), "seconds": 90})
        (self.run / "fcn32s" / "history.json").write_text(json.dumps(history))
        self.assertEqual(status_line(self.run), f"{self.run}: fcn32s epoch 11 of 300 (60 s an epoch lately, "
                                                "4.8 h left in this stage), held-out 30.00 at 11 (best 30.00 at 11)")
        # With the run's whole plan logged, the finer stages count too: 289 + 12 + 36 epochs.
        (self.run / "train.log").write_text("stages: fcn32s 300 epochs, fcn16s 12 epochs, fcn8s 36 epochs\n" + log)
        self.assertEqual(planned_epochs((self.run / "train.log").read_text()), {32: 300, 16: 12, 8: 36})
        self.assertIn("(60 s an epoch lately, 4.8 h left in this stage, 5.6 h in the run)", status_line(self.run))
        # The last epoch of a stage with finer ones to come: only the run's hours remain.
        history.append({"epoch": 300, "loss": 1.0, "seconds": 60})
        (self.run / "fcn32s" / "history.json").write_text(json.dumps(history))
        self.assertIn("epoch 300 of 300 (60 s an epoch lately, 0.8 h in the run)", status_line(self.run))

    def test_runs_are_named_by_as_many_of_their_last_folders_as_tell_them_apart(self):
        self.assertEqual(run_labels([Path("runs/xdrive/B-bf16"), Path("runs/xdrive/M-long")]), ["B-bf16", "M-long"])
        # Two recipes' folds of one drive: one name each, not one for both.
        self.assertEqual(run_labels([Path("runs/folds/M-long/0016E5"), Path("runs/folds/AA-heavy/0016E5")]),
                         ["M-long/0016E5", "AA-heavy/0016E5"])
        self.assertEqual(run_labels([Path("a/x"), Path("x")]), ["a/x", "x"])

    def test_render_lines_up_runs_by_epoch_and_gives_the_last_per_class_row(self):
        other = [scored(10, 0.4)]
        text = render({"B": load_history(self.run, 32), "N": other}, [f"c{i}" for i in range(11)])
        rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
        self.assertEqual(rows["5"], ["25.00", "30.00", "-"])  # N has no epoch 5, and no val column
        self.assertEqual(rows["10"], ["37.50", "50.00", "40.00"])
        self.assertIn("per-class IU on holdout at the last scored epoch", text)
        self.assertIn("B (10)", text)
        self.assertIn("N (10)", text)


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


def eval_row(drive, mean_iu, input_scale=1, quality="standard", iu=None):
    """One line of `npx fcn eval --json`, the fields fcn.report reads."""
    iu = iu if iu is not None else [mean_iu, mean_iu]
    return {"drive": drive, "meanIU": mean_iu, "inputScale": input_scale, "quality": quality,
            "iu": iu, "classes": ["Sky", "Pole"]}


class VersusTest(unittest.TestCase):
    """The ship rule between two recipes' folds (the model card: the fold mean must beat the
    shipped recipe's by more than the run-to-run spread)."""

    def test_fold_rows_keep_one_setting_and_the_last_rescore_of_a_drive(self):
        rows = [eval_row("0001TP", 0.30), eval_row("0001TP", 0.35, 1.5), eval_row("0001TP", 0.36, 1.5),
                eval_row("0006R0", 0.40, 1.5, "high"), {"drive": "0016E5", "meanIU": 0.5, "quality": "standard"}]
        def mean_ius(chosen):
            return {drive: round(100 * row["meanIU"], 6) for drive, row in chosen.items()}
        self.assertEqual(mean_ius(fold_rows(rows, 1.5)), {"0001TP": 36.0})
        self.assertEqual(mean_ius(fold_rows(rows, 1)), {"0001TP": 30.0, "0016E5": 50.0})  # no inputScale: 1
        self.assertEqual(mean_ius(fold_rows(rows, 1.5, "high")), {"0006R0": 40.0})

    def test_ahead_only_by_more_than_the_spread_on_every_fold(self):
        baseline = {"0001TP": 37.0, "0006R0": 39.8, "0016E5": 45.0}
        ahead = compare_folds({"0001TP": 38.5, "0006R0": 41.9, "0016E5": 45.5}, baseline)
        self.assertAlmostEqual(ahead["mean_gain"], (1.5 + 2.1 + 0.5) / 3)
        self.assertEqual((ahead["ahead"], ahead["folds_gaining"]), (True, 3))
        # one drive's large gain does not carry a recipe that loses on the other two
        mixed = compare_folds({"0001TP": 35.5, "0006R0": 45.8, "0016E5": 45.0}, baseline)
        self.assertAlmostEqual(mixed["mean_gain"], 1.5)
        self.assertEqual((mixed["ahead"], mixed["folds_gaining"]), (False, 1))
        within_noise = compare_folds({"0001TP": 36.5, "0006R0": 43.8, "0016E5": 45.0}, baseline)
        self.assertEqual(within_noise["ahead"], True)  # a 0.5 loss is what a second seed moves
        # nor does a lead on the folds finished so far
        partial = compare_folds({"0001TP": 40.0, "0006R0": 43.0}, baseline)
        self.assertEqual((partial["complete"], partial["ahead"]), (False, False))
        self.assertEqual(compare_folds({}, baseline)["mean_gain"], None)

    def test_class_gains_average_over_the_drives_that_have_the_class(self):
        candidate = {"a": eval_row("a", 0.5, iu=[0.8, 0.3]), "b": eval_row("b", 0.5, iu=[0.9, None])}
        baseline = {"a": eval_row("a", 0.4, iu=[0.7, 0.1]), "b": eval_row("b", 0.4, iu=[0.9, 0.2]),
                    "c": eval_row("c", 0.4)}
        gains = class_gains(candidate, baseline)
        self.assertAlmostEqual(gains["Sky"], 5.0)  # (+10 + 0) / 2; drive c is the baseline's alone
        self.assertAlmostEqual(gains["Pole"], 20.0)  # drive b has no pole
        self.assertEqual(class_gains({}, baseline), {})

    def test_a_drive_recorded_without_per_class_iu_counts_in_the_verdict_but_not_per_class(self):
        recorded = {"drive": "c", "meanIU": 0.45, "quality": "standard", "source": "model card"}
        candidate = {"a": eval_row("a", 0.5, iu=[0.8, 0.3]), "c": recorded}
        baseline = {"a": eval_row("a", 0.4, iu=[0.7, 0.1]), "c": dict(recorded, meanIU=0.40)}
        self.assertEqual(class_gains(candidate, baseline).keys(), {"Sky", "Pole"})
        self.assertAlmostEqual(class_gains(candidate, baseline)["Sky"], 10.0)  # drive a alone

    def test_the_cli_reads_the_recorded_fold_scores_and_gives_the_verdict(self):
        with tempfile.TemporaryDirectory() as tmp:
            scores = Path(tmp) / "fold-scores.jsonl"
            rows = [dict(eval_row(d, iou, scale), recipe=recipe)
                    for recipe, scale, ious in (("AA-heavy", 1.5, (0.39, 0.42, 0.47)), ("M-long", 1, (0.37, 0.40, 0.45)))
                    for d, iou in zip(("0001TP", "0006R0", "0016E5"), ious)]
            rows.append(dict(eval_row("0001TP", 0.10, 1.5), recipe="other"))  # another recipe's row
            scores.write_text("".join(json.dumps(r) + "\n" for r in rows))
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                main(["--versus", "AA-heavy", "M-long", "--input-scales", "1.5", "1", "--scores", str(scores)])
        text = out.getvalue()
        self.assertIn("AA-heavy@1.5", text)
        self.assertRegex(text, r"0001TP\s+39\.00\s+37\.00\s+\+2\.00")
        self.assertRegex(text, r"0006R0\s+42\.00\s+40\.00\s+\+2\.00")
        self.assertIn("mean gain +2.00 over 3 folds (gains on 3)", text)
        self.assertIn("AA-heavy@1.5 is ahead: it replaces M-long@1", text)
        self.assertIn("per class, mean gain: Sky +2.0, Pole +2.0", text)

    def test_status_ends_with_what_each_recipe_has_scored_and_at_which_settings(self):
        rows = [dict(eval_row("0016E5", 0.4512), recipe="M-long"), dict(eval_row("0006R0", 0.3976), recipe="M-long"),
                dict(eval_row("0006R0", 0.4077, quality="high"), recipe="M-long"),
                dict(eval_row("0006R0", 0.4193, 1.5), recipe="AA-heavy")]
        self.assertEqual(recorded_lines(rows), [
            "AA-heavy scored: 0006R0 standard@1.5 41.93",
            "M-long scored: 0006R0 standard@1 39.76, high@1 40.77; 0016E5 standard@1 45.12"])
        self.assertEqual(recorded_lines([]), [])

    def test_the_committed_fold_scores_name_recipe_drive_setting_and_where_each_came_from(self):
        rows = read_rows(FOLD_SCORES)
        self.assertTrue(rows)
        for row in rows:
            self.assertTrue({"recipe", "drive", "meanIU", "quality", "inputScale"} <= row.keys(), row)
            self.assertIn(row["drive"], ("0001TP", "0006R0", "0016E5"))
            self.assertTrue(0 < row["meanIU"] < 1)
            # a row either is npx fcn eval's (per-class IU and the model it scored) or says its source
            self.assertTrue({"iu", "classes", "model"} <= row.keys() or "source" in row, row)

if __name__ == "__main__":
    unittest.main()
