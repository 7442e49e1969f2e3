"""The paper's backbone comparison (its Table 1) at our scale: each backbone as FCN-32s, with
its learned parameters (as the model card counts them: not the fixed bilinear upsampler), MACs at 480x360 and the measured seconds of one training step.

    python3 -m fcn.compare                                  # vgg16, alexnet, inception at 1/4 width
    python3 -m fcn.compare --width 0.5 --bf16
    python3 -m fcn.compare --backbones vgg16 alexnet=0.75 inception=0.5   # a width per backbone

A training step is what ``fcn.train`` does per batch (forward, weighted cross-entropy, backward,
AdamW) on random images of the training crop size, so no dataset is needed; the time is the
median of ``--steps`` steps after ``--warmup`` (the first steps pay for allocation and kernel
selection). Cross-drive mean IU comes from the training runs themselves
(``experiments/cross-drive.sh``), not from here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import List, Tuple

import torch
import torch.nn.functional as F

from .fcn import NUM_CLASSES, FCN, count_macs, fcn32s

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


def train_step_seconds(model: FCN, batch: int = 8, crop: int = 224, bf16: bool = False, steps: int = 3,
                       warmup: int = 1, seed: int = 0) -> List[float]:
    """Wall-clock seconds of ``steps`` training steps (after ``warmup`` untimed ones), as
    ``fcn.train`` runs them: channels-last, optional bf16 autocast, fp32 loss, AdamW."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, crop, crop, generator=g).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, NUM_CLASSES, (batch, crop, crop), generator=g)
    model = model.train().to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    weights = torch.ones(NUM_CLASSES)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        loss = F.cross_entropy(logits.float(), y, weight=weights)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


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
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
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
