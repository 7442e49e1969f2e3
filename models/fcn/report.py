"""What training runs recorded, side by side: each run's mean IU per scored epoch on every
evaluation set (the held-out drive first), then the per-class IU of its last scored epoch.
This is how the model card's ablation rows are read off the runs.

    python3 -m fcn.report runs/xdrive/B-bf16 runs/xdrive/N-ema          # FCN-32s stages
    python3 -m fcn.report runs/xdrive/M-long runs/xdrive/P-long8s-72 --stage 8
    python3 -m fcn.report --folds runs/folds/B-bf16/*     # one recipe, each drive held out in turn
    python3 -m fcn.report --versus AA-heavy M-long --input-scales 1.5 1
    python3 -m fcn.report --status runs/folds/*/* runs/shipped/*/    # where every run stands, what is scored

``--versus`` reads two recipes' rows of ``experiments/fold-scores.jsonl`` (``score-folds.sh``:
the exported FCN-8s of each fold scored by ``npx fcn eval`` as the tiers run it) and says
whether the first replaces the second by the model card's rule. The file is committed, so a
fold scored in one session counts in every later one, whatever happens to the machine and its
checkpoints.

Otherwise reads ``<run>/fcn<stride>s/history.json`` (written by ``fcn.train`` every epoch), so it works
on runs still in progress and never loads a checkpoint.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

from .data import camvid_classes, camvid_root
from .fcn import NUM_CLASSES


def load_history(run: Path, stride: int) -> List[dict]:
    """The epochs a run's stage has finished (empty if it has not started)."""
    path = run / f"fcn{stride}s" / "history.json"
    return json.loads(path.read_text()) if path.exists() else []


def curve(history: Sequence[dict], split: str) -> List[Tuple[int, float]]:
    """(epoch, mean IU in percent) for every epoch that was scored on ``split``."""
    return [(e["epoch"], 100 * e["scores"][split]["mean_iu"]) for e in history
            if split in e.get("scores", {})]


def last_scored(history: Sequence[dict]) -> dict | None:
    """The last epoch that carries scores, or None."""
    return next((e for e in reversed(history) if e.get("scores")), None)


def class_names() -> List[str]:
    """CamVid's class names from its classes.json, or numbers where the dataset is absent."""
    if (camvid_root() / "classes.json").exists():
        return [c["name"] for c in camvid_classes()][:NUM_CLASSES]
    return [str(i) for i in range(NUM_CLASSES)]


def render(runs: Dict[str, List[dict]], names: Sequence[str]) -> str:
    """Two plain-text tables: mean IU by epoch (one column per run and set), and per-class IU
    (one row per run) at each run's last scored epoch."""
    splits = [s for s in ("holdout", "val") if any(curve(h, s) for h in runs.values())]
    columns = [(run, split) for run in runs for split in splits if curve(runs[run], split)]
    by_epoch: Dict[int, Dict[Tuple[str, str], float]] = {}
    for run, split in columns:
        for epoch, miou in curve(runs[run], split):
            by_epoch.setdefault(epoch, {})[(run, split)] = miou
    lines = ["epoch  " + "  ".join(f"{run} {split}" for run, split in columns)]
    for epoch in sorted(by_epoch):
        cells = [f"{by_epoch[epoch][c]:.2f}" if c in by_epoch[epoch] else "-" for c in columns]
        lines.append(f"{epoch:>5}  " + "  ".join(cell.rjust(len(f"{r} {s}")) for cell, (r, s) in zip(cells, columns)))
    for split in splits:
        rows = []
        for run, history in runs.items():
            last = last_scored(history)
            if last is not None and split in last["scores"]:
                ius = [f"{100 * v:.1f}".rjust(len(n)) for v, n in zip(last["scores"][split]["iu"], names)]
                rows.append((f"{run} ({last['epoch']})", "  ".join(ius)))
        width = max(len(label) for label, _ in rows + [("run (epoch)", "")])
        lines += ["", f"per-class IU on {split} at the last scored epoch",
                  "run (epoch)".ljust(width) + "  " + "  ".join(names)]
        lines += [label.ljust(width) + "  " + ius for label, ius in rows]
    return "\n".join(lines)


def fold_summary(folds: Dict[str, List[dict]]) -> Dict[str, object]:
    """The three-fold proxy for new streets: each fold (a run of one recipe with one drive held
    out) scored on its held-out drive at its last scored epoch, their mean and their spread
    (highest minus lowest). One held-out drive alone mis-ranked two edge recipes; the mean over
    every drive does not depend on which streets one drive happens to have."""
    last = {name: last_scored(h) for name, h in folds.items()}
    scored = {name: 100 * e["scores"]["holdout"]["mean_iu"] for name, e in last.items()
              if e is not None and "holdout" in e["scores"]}
    if not scored:
        return {"folds": {}, "epochs": {}, "mean": None, "spread": None}
    values = list(scored.values())
    return {"folds": scored, "epochs": {name: last[name]["epoch"] for name in scored},
            "mean": sum(values) / len(values), "spread": max(values) - min(values)}


def render_folds(folds: Dict[str, List[dict]]) -> str:
    """One line per fold, then the mean and spread (``fold_summary``)."""
    summary = fold_summary(folds)
    lines = [f"{name} (epoch {summary['epochs'][name]}): held-out {miou:.2f}"
             for name, miou in summary["folds"].items()]
    if summary["mean"] is None:
        return "no fold has a held-out score yet"
    lines.append(f"fold mean {summary['mean']:.2f}, spread {summary['spread']:.2f} "
                 f"over {len(summary['folds'])} of {len(folds)} folds")
    return "\n".join(lines)


# What a second seed or a rescoring moves one recipe's held-out score: B and B2 (seeds 0 and 1)
# ended 0.76 apart as FCN-32s and 0.06 as FCN-8s; X and U (one recipe, last against best
# epoch) 0.12; one evaluation of a run swings by up to 1 between neighbouring epochs.
RUN_TO_RUN_SPREAD = 1.0


def fold_rows(rows: Iterable[dict], input_scale: float, quality: str = "standard") -> Dict[str, dict]:
    """``npx fcn eval --json`` rows by held-out drive, keeping those scored at ``input_scale``
    and ``quality`` (the last such row of a drive wins: a rescore)."""
    return {r["drive"]: r for r in rows if r.get("inputScale", 1) == input_scale and r["quality"] == quality}


def class_gains(candidate: Dict[str, dict], baseline: Dict[str, dict]) -> Dict[str, float]:
    """Per class, the candidate's IU minus the baseline's in points, averaged over the drives
    both scored per class (a class a drive lacks, null in the row, is left out of that drive;
    so is a drive whose row was recorded from the model card without per-class IU)."""
    drives = sorted(d for d in candidate.keys() & baseline.keys()
                    if "iu" in candidate[d] and "iu" in baseline[d])
    if not drives:
        return {}
    gains: Dict[str, float] = {}
    for k, name in enumerate(candidate[drives[0]]["classes"]):
        diffs = [100 * (candidate[d]["iu"][k] - baseline[d]["iu"][k]) for d in drives
                 if candidate[d]["iu"][k] is not None and baseline[d]["iu"][k] is not None]
        if diffs:
            gains[name] = sum(diffs) / len(diffs)
    return gains


def compare_folds(candidate: Dict[str, float], baseline: Dict[str, float],
                  folds: int = 3, noise: float = RUN_TO_RUN_SPREAD) -> Dict[str, object]:
    """The model card's rule for replacing a shipped recipe: over all ``folds`` drives (each
    scored for both, so the drives' own difficulty cancels out of the per-fold gains), the
    candidate's fold mean must beat the baseline's by more than the run-to-run spread, and no
    fold may lose by more than it (a gain one drive's streets carry alone is not one on new
    streets)."""
    drives = sorted(candidate.keys() & baseline.keys())
    gains = {d: candidate[d] - baseline[d] for d in drives}
    mean_gain = sum(gains.values()) / len(gains) if gains else None
    complete = len(drives) == folds
    return {"gains": gains, "mean_gain": mean_gain, "folds_gaining": sum(g > 0 for g in gains.values()),
            "complete": complete, "ahead": complete and mean_gain > noise and min(gains.values()) >= -noise}


def render_versus(names: Tuple[str, str], candidate_rows: Dict[str, dict], baseline_rows: Dict[str, dict]) -> str:
    """Per-fold scores and gains, the mean gain, the verdict of ``compare_folds``, and where the
    gain is (``class_gains``)."""
    candidate = {d: 100 * r["meanIU"] for d, r in candidate_rows.items()}
    baseline = {d: 100 * r["meanIU"] for d, r in baseline_rows.items()}
    c = compare_folds(candidate, baseline)
    lines = [f"{'drive':<8}{names[0]:>16}{names[1]:>16}{'gain':>8}"]
    for drive in sorted(candidate.keys() | baseline.keys()):
        cells = [f"{s[drive]:.2f}" if drive in s else "-" for s in (candidate, baseline)]
        gain = f"{c['gains'][drive]:+.2f}" if drive in c["gains"] else "-"
        lines.append(f"{drive:<8}{cells[0]:>16}{cells[1]:>16}{gain:>8}")
    if c["mean_gain"] is None:
        return "\n".join(lines + ["no drive is scored for both yet"])
    lines.append(f"mean gain {c['mean_gain']:+.2f} over {len(c['gains'])} folds "
                 f"(gains on {c['folds_gaining']}); run-to-run spread {RUN_TO_RUN_SPREAD:.2f}")
    if not c["complete"]:
        verdict = "undecided: not every fold is scored for both"
    elif c["ahead"]:
        verdict = f"{names[0]} is ahead: it replaces {names[1]}"
    else:
        verdict = f"{names[0]} is not ahead of {names[1]}"
    gains = class_gains(candidate_rows, baseline_rows)
    per_class = ", ".join(f"{name} {gain:+.1f}" for name, gain in gains.items()) or "no fold has them for both"
    return "\n".join(lines + [verdict, f"per class, mean gain: {per_class}"])


FOLD_SCORES = Path(__file__).resolve().parent.parent / "experiments" / "fold-scores.jsonl"


def read_rows(path: Path = FOLD_SCORES) -> List[dict]:
    """Every fold score recorded (``npx fcn eval --json`` rows with their recipe's name)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def read_scores(recipe: str, path: Path = FOLD_SCORES) -> List[dict]:
    """The rows ``score-folds.sh`` recorded for one recipe's folds."""
    return [r for r in read_rows(path) if r["recipe"] == recipe]


def planned_epochs(log: str) -> Dict[int, int]:
    """How many epochs each stage of a run trains for, by stride, from its train.log: the plan
    ``fcn.train`` logs at its start (``stages: fcn32s 300 epochs, fcn16s 12 epochs, ...``), and
    else the line it logs as it starts a stage (``fcn32s: 4.75M parameters, 300 epochs``). The
    last of each counts, as a run may restart."""
    plan: Dict[int, int] = {}
    for line in log.splitlines():
        if line.startswith("stages: "):
            plan = {int(s): int(e) for s, e in re.findall(r"fcn([0-9]+)s ([0-9]+) epochs", line)}
        elif started := re.match(r"fcn([0-9]+)s: [0-9.]+M parameters, ([0-9]+) epochs", line):
            plan[int(started[1])] = int(started[2])
    return plan


def status_line(run: Path) -> str:
    """Where one run stands, from its stages' history.json: the stage in progress (the finest
    started), its last epoch (of how many, where the run's train.log says), its last and best
    held-out scores, and the hours of epochs left in the stage and in the run (where the log has
    the whole plan) at the pace of the stage's last ten epochs (their median, as the CPU is
    shared; scoring comes on top). The first thing a session reads of runs that span sessions."""
    stages = [(stride, load_history(run, stride)) for stride in (8, 16, 32)]
    stride, history = next(((s, h) for s, h in stages if h), (32, []))
    if not history:
        return f"{run}: not started"
    held_out = curve(history, "holdout")
    epoch = history[-1]["epoch"]
    log = run / "train.log"
    plan = planned_epochs(log.read_text(errors="replace")) if log.exists() else {}
    line = f"{run}: fcn{stride}s epoch {epoch}"
    if stride in plan:
        line += f" of {plan[stride]}"
        pace = statistics.median(e["seconds"] for e in history[-10:]) if "seconds" in history[-1] else None
        left = plan[stride] - epoch
        later = sum(e for s, e in plan.items() if s < stride)  # the finer stages still to come
        if pace and left + later > 0:
            hours = [f"{left * pace / 3600:.1f} h left in this stage"] if left else []
            hours += [f"{(left + later) * pace / 3600:.1f} h in the run"] if later else []
            line += f" ({pace:.0f} s an epoch lately, {', '.join(hours)})"
    if held_out:
        best = max(held_out, key=lambda point: point[1])
        line += (f", held-out {held_out[-1][1]:.2f} at {held_out[-1][0]}"
                 f" (best {best[1]:.2f} at {best[0]})")
    return line


def recorded_lines(rows: Iterable[dict]) -> List[str]:
    """One line per recipe of the committed fold scores: each drive scored, with every setting
    it was scored at, so a session sees what is decided before it looks at any run."""
    by_recipe: Dict[str, Dict[str, List[str]]] = {}
    for r in rows:
        setting = f"{r['quality']}@{r.get('inputScale', 1):g} {100 * r['meanIU']:.2f}"
        by_recipe.setdefault(r["recipe"], {}).setdefault(r["drive"], []).append(setting)
    return [f"{recipe} scored: " + "; ".join(f"{drive} {', '.join(settings)}"
                                             for drive, settings in sorted(drives.items()))
            for recipe, drives in sorted(by_recipe.items())]


def run_labels(runs: Sequence[Path]) -> List[str]:
    """A column name per run: its folder's name, or as many of its last folders as tell the runs
    apart (two recipes' folds of one drive are both ``0016E5``: ``M-long/0016E5``)."""
    for depth in range(1, max(len(run.parts) for run in runs) + 1):
        labels = ["/".join(run.parts[-depth:]) for run in runs]
        if len(set(labels)) == len(labels):
            return labels
    return [str(run) for run in runs]


def main(argv: List[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="run folders (fcn.train --out); with --versus, two recipes")
    p.add_argument("--stage", type=int, default=32, choices=[32, 16, 8])
    p.add_argument("--folds", action="store_true", help="the runs are one recipe's folds: print their mean and spread")
    p.add_argument("--versus", action="store_true",
                   help="the runs are two recipes (CANDIDATE BASELINE): compare their folds' scores")
    p.add_argument("--scores", type=Path, default=FOLD_SCORES,
                   help="with --versus or --status: the committed fold scores")
    p.add_argument("--input-scales", type=float, nargs=2, default=[1.0, 1.0], metavar=("CANDIDATE", "BASELINE"),
                   help="with --versus: the input scale each recipe's scores were taken at")
    p.add_argument("--quality", default="standard", choices=["standard", "high"], help="with --versus")
    p.add_argument("--status", action="store_true", help="one line per run: its stage, epoch and held-out scores")
    a = p.parse_args(argv)
    if a.status:
        print("\n".join([status_line(run) for run in a.runs] + recorded_lines(read_rows(a.scores))))
        return
    if a.versus:
        if len(a.runs) != 2:
            p.error("--versus takes two recipes: CANDIDATE BASELINE")
        scores = [fold_rows(read_scores(run.name, a.scores), scale, a.quality)
                  for run, scale in zip(a.runs, a.input_scales)]
        names = tuple(f"{run.name}@{scale:g}" for run, scale in zip(a.runs, a.input_scales))
        print(render_versus(names, scores[0], scores[1]))
        return
    if a.folds:
        print(render_folds({run.name: load_history(run, a.stage) for run in a.runs}))
        return
    print(render({label: load_history(run, a.stage) for label, run in zip(run_labels(a.runs), a.runs)},
                 class_names()))


if __name__ == "__main__":
    main()
