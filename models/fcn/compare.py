"""The paper's backbone comparison (its Table 1) at our scale: each backbone as FCN-32s, with
its learned parameters (as the model card counts them: not the fixed bilinear upsampler), MACs at 480x360 and the measured seconds of one training step.

    python3 -m fcn.compare                                  # vgg16, alexnet, inception at 1/4 width
    python3 -m fcn.compare --width 0.5 --bf16
    python3 -m fcn.compare --backbones vgg16 alexnet=0.75 inception=0.5   # a width per backbone
    python3 -m fcn.compare --precisions --stage 8 --crop 256         # fp32 vs bf16, side by side

A training step is what ``fcn.train`` does per batch (forward, weighted cross-entropy, backward,
AdamW) on random images of the training crop size, so no dataset is needed; the time is the
median of ``--steps`` steps after ``--warmup`` (the first steps pay for allocation and kernel
selection). Cross-drive mean IU comes from the training runs themselves
(``experiments/cross-drive.sh``), not from here.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from typing import List, Tuple

import torch
import torch.nn.functional as F

from .fcn import BUILDERS, NUM_CLASSES, FCN, count_macs, fcn32s

# fcn.train's defaults, so the nets compared are the nets trained.
FC_CHANNELS = 1024
DROPOUT = 0.1


def parse_spec(spec: str, default_width: float) -> Tuple[str, float]:
    """``"alexnet"`` -> ("alexnet", default_width); ``"alexnet=0.75"`` -> ("alexnet", 0.75)."""
    name, _, width = spec.partition("=")
    return name, float(width) if width else default_width


def learned_parameters(model: FCN) -> int:
    """Parameters the optimiser updates; the fixed last upsampling (C*C*64*64 for FCN-32s) is
    left out, as in the model card."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class _Trainer:
    """One net and its optimiser, stepping as ``fcn.train`` does: channels-last, optional bf16
    autocast, fp32 loss, AdamW."""

    def __init__(self, model: FCN, bf16: bool):
        self.model = model.train().to(memory_format=torch.channels_last)
        self.opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        self.bf16 = bf16
        self.weights = torch.ones(NUM_CLASSES)

    def step_seconds(self, x: torch.Tensor, y: torch.Tensor) -> float:
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.model(x)
        loss = F.cross_entropy(logits.float(), y, weight=self.weights)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return time.perf_counter() - t0


def _random_batch(batch: int, crop: int, seed: int) -> Tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, crop, crop, generator=g).contiguous(memory_format=torch.channels_last)
    return x, torch.randint(0, NUM_CLASSES, (batch, crop, crop), generator=g)


def train_step_seconds(model: FCN, batch: int = 8, crop: int = 224, bf16: bool = False, steps: int = 3,
                       warmup: int = 1, seed: int = 0) -> List[float]:
    """Wall-clock seconds of ``steps`` training steps (after ``warmup`` untimed ones), as
    ``fcn.train`` runs them."""
    x, y = _random_batch(batch, crop, seed)
    trainer = _Trainer(model, bf16)
    times = [trainer.step_seconds(x, y) for _ in range(warmup + steps)]
    return times[warmup:]


def precision_step_seconds(model: FCN, batch: int = 8, crop: int = 224, steps: int = 3, warmup: int = 1,
                           seed: int = 0) -> dict:
    """fp32 and bf16-autocast training steps of the same net, interleaved (which goes first
    alternates), so a shared, noisy CPU slows both alike and their ratio holds. Returns each
    precision's step times and ``speedup`` = median fp32 / median bf16."""
    x, y = _random_batch(batch, crop, seed)
    trainers = {"fp32": _Trainer(model, False), "bf16": _Trainer(copy.deepcopy(model), True)}
    times = {name: [] for name in trainers}
    for i in range(warmup + steps):
        order = ["fp32", "bf16"] if i % 2 == 0 else ["bf16", "fp32"]
        for name in order:
            t = trainers[name].step_seconds(x, y)
            if i >= warmup:
                times[name].append(t)
    return {"fp32": times["fp32"], "bf16": times["bf16"],
            "speedup": statistics.median(times["fp32"]) / statistics.median(times["bf16"])}


def compare(specs: List[Tuple[str, float]], steps: int, warmup: int, batch: int, crop: int, bf16: bool) -> List[dict]:
    """One row per (backbone, width): parameters, MACs at 480x360, median step seconds."""
    rows = []
    for name, width in specs:
        torch.manual_seed(0)
        model = fcn32s(backbone=name, width=width, fc_channels=FC_CHANNELS, dropout=DROPOUT)
        row = {"backbone": name, "width": width, "params": learned_parameters(model),
               "macs_480x360": count_macs(model, 360, 480)}
        if steps > 0:
            times = train_step_seconds(model, batch, crop, bf16, steps, warmup)
            row["step_seconds"] = statistics.median(times)
            row["step_seconds_all"] = times
        rows.append(row)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backbones", nargs="+", default=["vgg16", "alexnet", "inception"],
                   help="backbone names, each optionally with its own width: inception=0.5")
    p.add_argument("--width", type=float, default=0.25, help="width multiplier where none is given")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=224)
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast, as fcn.train --bf16")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5, help="timed steps (0: parameters and MACs only)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--precisions", action="store_true",
                   help="time fp32 against bf16 autocast, interleaved, for each backbone (--stage picks the net)")
    p.add_argument("--stage", type=int, choices=sorted(BUILDERS), default=32, help="with --precisions: FCN-32s/16s/8s")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.precisions:
        print(f"FCN-{a.stage}s training step, fp32 vs bf16 autocast, interleaved: median of {a.steps} after "
              f"{a.warmup} warm-up (batch {a.batch}, {a.crop}px crops, {a.threads} threads)")
        print("| backbone | width | fp32 s / step | bf16 s / step | bf16 speedup |")
        print("| --- | --- | --- | --- | --- |")
        for name, width in (parse_spec(s, a.width) for s in a.backbones):
            torch.manual_seed(0)
            net = BUILDERS[a.stage](backbone=name, width=width, fc_channels=FC_CHANNELS, dropout=DROPOUT)
            r = precision_step_seconds(net, a.batch, a.crop, max(a.steps, 1), a.warmup)
            print(f"| {name} | {width:g} | {statistics.median(r['fp32']):.2f} | {statistics.median(r['bf16']):.2f} "
                  f"| {r['speedup']:.2f}x |")
        return
    rows = compare([parse_spec(s, a.width) for s in a.backbones], a.steps, a.warmup, a.batch, a.crop, a.bf16)
    if a.json:
        print(json.dumps(rows, indent=1))
        return
    setup = f"batch {a.batch}, {a.crop}px crops, {'bf16' if a.bf16 else 'fp32'}, {a.threads} threads"
    timing = f"s / step: median of {a.steps} after {a.warmup} warm-up ({setup})" if a.steps else "no timing"
    print(f"FCN-32s at width {a.width:g} unless given; {timing}")
    print("| backbone | width | params | MACs at 480x360 | s / step |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        step = f"{r['step_seconds']:.2f}" if "step_seconds" in r else "-"
        print(f"| {r['backbone']} | {r['width']:g} | {r['params'] / 1e6:.2f} M | {r['macs_480x360'] / 1e9:.2f} G | {step} |")


if __name__ == "__main__":
    main()
