"""What training runs recorded, side by side: each run's mean IU per scored epoch on every
evaluation set (the held-out drive first), then the per-class IU of its last scored epoch.
This is how the model card's ablation rows are read off the runs.

    python3 -m fcn.report runs/xdrive/B-bf16 runs/xdrive/N-ema          # FCN-32s stages
    python3 -m fcn.report runs/xdrive/M-long runs/xdrive/P-long8s-72 --stage 8
    python3 -m fcn.report --folds runs/folds/B-bf16/*     # one recipe, each drive held out in turn

Reads ``<run>/fcn<stride>s/history.json`` (written by ``fcn.train`` every epoch), so it works
on runs still in progress and never loads a checkpoint.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

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


def main(argv: List[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="run folders (fcn.train --out)")
    p.add_argument("--stage", type=int, default=32, choices=[32, 16, 8])
    p.add_argument("--folds", action="store_true", help="the runs are one recipe's folds: print their mean and spread")
    a = p.parse_args(argv)
    if a.folds:
        print(render_folds({run.name: load_history(run, a.stage) for run in a.runs}))
        return
    print(render({run.name: load_history(run, a.stage) for run in a.runs}, class_names()))


if __name__ == "__main__":
    main()
