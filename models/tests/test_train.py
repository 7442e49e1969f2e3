"""Training with a distillation teacher on tiny nets: one step, and the command end to end."""

import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import torch

from fcn.data import IGNORE_INDEX, LOCATION
from fcn.fcn import fcn8s, fcn32s
from fcn.losses import cross_entropy
from fcn import distributed
from fcn.train import (batch_loss, cpu_has_native_bf16, epoch_seeds, load_teacher, lr_at, main, pick_device,
                       save_atomically, train_stage, update_average)
from tests.needs_camvid import needs_camvid
from tests.synthetic import synthetic_frames, write_classes_json

TINY = dict(width=1 / 16, fc_channels=64, dropout=0.0)


def save_checkpoint(model, path: Path, stride: int) -> None:
    cfg = {"backbone": "vgg16", "width": TINY["width"], "fc_channels": TINY["fc_channels"], "dropout": 0.0}
    torch.save({"model": model.state_dict(), "stride": stride, "config": cfg}, path)


class DistillStepTest(unittest.TestCase):
    def test_one_step_with_a_teacher_trains_the_student_only(self):
        torch.manual_seed(0)
        with tempfile.TemporaryDirectory() as tmp:
            save_checkpoint(fcn8s(**TINY), Path(tmp) / "teacher.pt", 8)
            teacher = load_teacher(Path(tmp) / "teacher.pt")
        self.assertFalse(teacher.training)
        self.assertFalse(any(p.requires_grad for p in teacher.parameters()))
        frozen = {k: v.clone() for k, v in teacher.state_dict().items()}
        student = fcn32s(backbone="vgg16-strided-stem", **TINY).train()
        opt = torch.optim.AdamW([p for p in student.parameters() if p.requires_grad], lr=1e-2)
        x, y = torch.randn(2, 3, 40, 56), torch.randint(0, 11, (2, 40, 56))
        y[:, :5] = IGNORE_INDEX
        weights = torch.ones(11)
        for bf16 in (False, True):
            plain = batch_loss(student, x, y, weights, cross_entropy, bf16)
            loss = batch_loss(student, x, y, weights, cross_entropy, bf16, teacher, 1.0, 2.0)
            self.assertTrue(torch.isfinite(loss))
            self.assertGreater(float(loss), float(plain))  # the distillation term is positive
            before = student.score_fr.weight.detach().clone()
            opt.zero_grad()
            loss.backward()
            opt.step()
            self.assertFalse(torch.equal(before, student.score_fr.weight))
        for k, v in teacher.state_dict().items():
            self.assertTrue(torch.equal(v, frozen[k]), f"teacher changed: {k}")

    @needs_camvid
    def test_the_command_runs_one_tiny_epoch_with_a_teacher(self):
        with tempfile.TemporaryDirectory() as tmp:
            teacher = Path(tmp) / "teacher.pt"
            save_checkpoint(fcn8s(**TINY), teacher, 8)
            main(["--stage", "32", "--out", str(Path(tmp) / "run"), "--backbone", "vgg16-strided-stem",
                  "--width", str(TINY["width"]), "--fc-channels", "64", "--epochs", "1", "1", "1",
                  "--batch", "2", "--crop", "64", "--limit", "2", "--threads", "1",
                  "--teacher", str(teacher), "--distill-weight", "0.5", "--distill-temperature", "2"])
            state = torch.load(Path(tmp) / "run" / "fcn32s" / "last.pt")
        self.assertEqual(state["epoch"], 1)
        self.assertEqual(state["config"]["teacher"], str(teacher))
        self.assertGreater(state["history"][0]["loss"], 0.0)

    @needs_camvid
    def test_on_every_labelled_frame_each_stage_keeps_its_last_epoch(self):
        with tempfile.TemporaryDirectory() as tmp:
            main(["--stage", "all", "--out", str(Path(tmp) / "run"), "--train-split", "train+val",
                  "--width", str(TINY["width"]), "--fc-channels", "64", "--epochs", "2", "1", "1",
                  "--batch", "2", "--crop", "64", "--limit", "2", "--threads", "1", "--balance-drives"])
            stages = {s: torch.load(Path(tmp) / "run" / f"fcn{s}s" / "best.pt") for s in (32, 16, 8)}
        for stride, state in stages.items():
            self.assertEqual(state["selected_by"], "last epoch")
            self.assertNotIn("val", state)  # val trained the net: no score of it to report
        self.assertEqual(stages[32]["epoch"], 2)
        self.assertEqual(stages[8]["config"]["train_split"], "train+val")
        self.assertTrue(stages[8]["config"]["balance_drives"])


class ScheduleTest(unittest.TestCase):
    def test_poly_warms_up_then_decays_monotonically_to_one_percent(self):
        total, warmup, base = 1000, 40, 2e-3
        rates = [lr_at(step, total, warmup, base, schedule="poly") for step in range(total + 1)]
        self.assertAlmostEqual(rates[0], base / warmup)  # linear warm-up
        self.assertAlmostEqual(rates[warmup - 1], base)
        self.assertTrue(all(a < b for a, b in zip(rates[:warmup - 1], rates[1:warmup])))
        self.assertAlmostEqual(rates[warmup], base)  # decay starts at the base rate
        decay = rates[warmup:]
        self.assertTrue(all(a > b for a, b in zip(decay, decay[1:])), "poly must fall at every step")
        self.assertAlmostEqual(rates[-1], 0.01 * base)
        t = (500 - warmup) / (total - warmup)  # (1 - t)^0.9 between 1% and 100%
        self.assertAlmostEqual(rates[500], base * (0.01 + 0.99 * (1 - t) ** 0.9))

    def test_poly_stays_above_cosine_late_and_the_default_is_cosine(self):
        total, warmup, base = 1000, 40, 1.0
        self.assertEqual(lr_at(700, total, warmup, base), lr_at(700, total, warmup, base, "cosine"))
        # (1 - t)^0.9 falls almost linearly, cosine flattens towards its end: late, poly is higher.
        self.assertGreater(lr_at(900, total, warmup, base, "poly"), lr_at(900, total, warmup, base, "cosine"))


class WeightAverageTest(unittest.TestCase):
    def test_the_average_moves_towards_the_weights_by_one_minus_the_decay(self):
        model, average = torch.nn.BatchNorm2d(2), torch.nn.BatchNorm2d(2)
        with torch.no_grad():
            model.weight.fill_(1.0)
            average.weight.fill_(0.0)
            model.running_mean.fill_(2.0)
        model.num_batches_tracked.fill_(7)
        update_average(average, model, step=10_000, decay=0.9)
        self.assertTrue(torch.allclose(average.weight, torch.full((2,), 0.1)))
        self.assertTrue(torch.allclose(average.running_mean, torch.full((2,), 0.2)))  # statistics too
        self.assertEqual(int(average.num_batches_tracked), 7)  # counts are copied

    def test_early_steps_follow_the_weights_closely(self):
        model, average = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
        with torch.no_grad():
            model.weight.fill_(1.0)
            average.weight.fill_(0.0)
        update_average(average, model, step=0, decay=0.999)  # d = 1/10, not 0.999
        self.assertTrue(torch.allclose(average.weight, torch.full((2, 2), 0.9)))

    @needs_camvid
    def test_with_ema_the_average_is_kept_and_a_resumed_run_goes_on_from_the_trained_weights(self):
        args = ["--stage", "32", "--width", str(TINY["width"]), "--fc-channels", "64", "--batch", "2",
                "--crop", "64", "--limit", "2", "--threads", "1", "--ema", "0.5", "--eval-every", "1"]
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(tmp) / "run"
            main(args + ["--out", str(run), "--epochs", "1", "1", "1"])
            first = torch.load(run / "fcn32s" / "last.pt")
            main(args + ["--out", str(run), "--epochs", "2", "1", "1"])
            second = torch.load(run / "fcn32s" / "last.pt")
            best = torch.load(run / "fcn32s" / "best.pt")
        key = "score_fr.weight"
        self.assertFalse(torch.equal(first["model"][key], first["trained"][key]))  # two weight sets
        self.assertEqual(second["epoch"], 2)
        self.assertFalse(torch.equal(second["trained"][key], first["trained"][key]))
        kept = second if best["epoch"] == 2 else first
        self.assertTrue(torch.equal(best["model"][key], kept["model"][key]))  # the average is scored


class DeviceTest(unittest.TestCase):
    def test_auto_picks_cuda_only_where_there_is_one(self):
        self.assertEqual(pick_device("auto").type, "cuda" if torch.cuda.is_available() else "cpu")
        self.assertEqual(pick_device("cpu"), torch.device("cpu"))

    def test_bf16_is_native_only_on_cpus_with_bf16_instructions(self):
        flags = "processor\t: 0\nflags\t\t: fpu sse2 avx2 fma {}\nbugs\t\t: spectre_v1\n"
        self.assertFalse(cpu_has_native_bf16(flags.format("")))  # AVX2 only (an EPYC 7xx3)
        self.assertFalse(cpu_has_native_bf16(flags.format("avx512f avx512bw")))  # AVX-512 without bf16
        self.assertTrue(cpu_has_native_bf16(flags.format("avx512f avx512_bf16")))  # Zen 4, Cooper Lake
        self.assertTrue(cpu_has_native_bf16(flags.format("amx_bf16 amx_tile")))  # Sapphire Rapids
        self.assertFalse(cpu_has_native_bf16(""))  # no flags line: not Linux's cpuinfo

    def test_bf16_asked_for_where_it_is_emulated_trains_in_fp32(self):
        cfg = {"backbone": "vgg16", "width": TINY["width"], "fc_channels": TINY["fc_channels"], "dropout": 0.1,
               "batch": 2, "crop": 48, "scale": [1.0, 1.0], "weight_decay": 1e-2, "class_weight_power": 0.5,
               "eval_every": 1, "seed": 0, "eval_size": None, "bf16": True}
        seen = []

        def recording(*args, **kwargs):
            seen.append(args[5])  # batch_loss's bf16
            return batch_loss(*args, **kwargs)

        with tempfile.TemporaryDirectory() as tmp, \
                mock.patch.dict(os.environ, {LOCATION["env"]: str(write_classes_json(Path(tmp) / "camvid"))}):
            for native in (False, True):
                with mock.patch("fcn.train.native_bf16", return_value=native), \
                        mock.patch("fcn.train.batch_loss", side_effect=recording):
                    train_stage(cfg, 32, 1, 1e-2, Path(tmp) / str(native), None, synthetic_frames(2, 0),
                                {"holdout": synthetic_frames(2, 1)}, ["d"] * 2)
        self.assertEqual(seen, [False, True])  # one step each

    @needs_camvid
    def test_a_resumed_run_goes_on_with_its_optimizer_state(self):
        # The optimizer is built after the net moves to its device; its saved state must still
        # be restored on resume (AdamW's step count goes on instead of starting again).
        args = ["--stage", "32", "--width", str(TINY["width"]), "--fc-channels", "64", "--batch", "2",
                "--crop", "64", "--limit", "2", "--threads", "1", "--device", "cpu"]
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(tmp) / "run"
            main(args + ["--out", str(run), "--epochs", "1", "1", "1"])
            main(args + ["--out", str(run), "--epochs", "2", "1", "1"])
            state = torch.load(run / "fcn32s" / "last.pt")
        steps = {float(s["step"]) for s in state["optimizer"]["state"].values()}
        self.assertEqual(steps, {2.0})  # one step per epoch (2 frames, batch 2), two epochs



class ResumeTest(unittest.TestCase):
    """Runs here are stopped every few hours and resumed from their last epoch."""

    def test_epoch_seeds_differ_by_epoch_stage_and_seed_and_within_an_epoch(self):
        seeds = {epoch_seeds(seed, stride, epoch) for seed in (0, 1) for stride in (32, 16, 8) for epoch in range(300)}
        self.assertEqual(len(seeds), 2 * 3 * 300)
        self.assertEqual(len(set(epoch_seeds(0, 32, 7))), 3)
        self.assertEqual(epoch_seeds(0, 32, 7), epoch_seeds(0, 32, 7))

    def test_a_checkpoint_cut_off_while_written_leaves_the_previous_one_whole(self):
        def killed_halfway(state, path):
            Path(path).write_bytes(b"PK\x03\x04 half a zip")
            raise KeyboardInterrupt

        with tempfile.TemporaryDirectory() as tmp:
            last = Path(tmp) / "last.pt"
            save_atomically({"epoch": 1}, last)
            with mock.patch("fcn.train.torch.save", side_effect=killed_halfway):
                with self.assertRaises(KeyboardInterrupt):
                    save_atomically({"epoch": 2}, last)
            self.assertEqual(torch.load(last), {"epoch": 1})
            save_atomically({"epoch": 2}, last)  # the next epoch writes over what was left
            self.assertEqual(torch.load(last), {"epoch": 2})
            self.assertEqual(sorted(p.name for p in Path(tmp).iterdir()), ["last.pt"])

    def test_a_run_stopped_after_an_epoch_and_resumed_ends_with_the_weights_of_one_never_stopped(self):
        # Dropout, scale, crop, flip, colour jitter and sensor noise all draw in these epochs.
        cfg = {"backbone": "vgg16", "width": TINY["width"], "fc_channels": TINY["fc_channels"], "dropout": 0.5,
               "batch": 2, "crop": 48, "scale": [0.5, 2.0], "weight_decay": 1e-2, "class_weight_power": 0.5,
               "eval_every": 1, "seed": 0, "eval_size": None, "photometric": "strong", "bf16": False}
        frames, evals = synthetic_frames(4, 0), {"holdout": synthetic_frames(2, 1)}

        def train(out: Path) -> None:
            train_stage(cfg, 32, 3, 1e-2, out, None, frames, evals, ["d"] * 4)

        with tempfile.TemporaryDirectory() as tmp, \
                mock.patch.dict(os.environ, {LOCATION["env"]: str(write_classes_json(Path(tmp) / "camvid"))}):
            whole, stopped = Path(tmp) / "whole", Path(tmp) / "stopped"
            train(whole)
            # The barrier closes each epoch after its checkpoint: the process dies there once.
            with mock.patch.object(distributed, "barrier", side_effect=KeyboardInterrupt):
                with self.assertRaises(KeyboardInterrupt):
                    train(stopped)
            self.assertEqual(torch.load(stopped / "fcn32s" / "last.pt")["epoch"], 1)
            train(stopped)
            a, b = (torch.load(run / "fcn32s" / "last.pt") for run in (whole, stopped))
        self.assertEqual((a["epoch"], b["epoch"]), (3, 3))
        for name, tensor in a["model"].items():
            self.assertTrue(torch.equal(tensor, b["model"][name]), name)
        self.assertEqual([e["loss"] for e in a["history"]], [e["loss"] for e in b["history"]])

if __name__ == "__main__":
    unittest.main()
