"""PyTorch reference timings for test/bench/gpu-service.ts: FCN-8s forward passes on the CPU.

Run:  cd models && /usr/bin/python3 ../test/bench/gpu_torch.py
Prints one JSON object: {"torch": version, "threads": n, "rows": [{"width", "height", "runs", "ms": [...]}]}.

Checkpoints are not in the repository, so by default this times an untrained net of the
served model's architecture and width (VGG16 layout at 1/4 width, fc 1024): the time of a
forward pass does not depend on the weights. BatchNorm is folded into the convolutions, as
models/fcn/export.py does for the ONNX file, so both runtimes compute the same graph.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

# `fcn` is the package in models/ (run from there, or from anywhere: the path is added here).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models"))
from fcn.fcn import fcn8s, fuse_batchnorm  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--width", type=float, default=0.25, help="channel width multiplier of the VGG16 backbone")
    p.add_argument("--fc-channels", type=int, default=1024)
    p.add_argument("--size", action="append", default=None, metavar="WxH:RUNS",
                   help="input size and timed runs, repeatable (default 480x360:5 and 1920x1080:2)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--no-fuse", action="store_true", help="keep BatchNorm layers separate")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = fcn8s(width=a.width, fc_channels=a.fc_channels).eval()
    if not a.no_fuse:
        model = fuse_batchnorm(model)
    rows = []
    for spec in a.size or ["480x360:5", "1920x1080:2"]:
        size, runs = spec.split(":")
        width, height = (int(v) for v in size.split("x"))
        x = torch.randn(1, 3, height, width)
        times = []
        with torch.no_grad():
            for i in range(a.warmup + int(runs)):
                start = time.perf_counter()
                out = model(x)
                elapsed = (time.perf_counter() - start) * 1000
                if i >= a.warmup:
                    times.append(elapsed)
        assert out.shape == (1, 11, height, width), out.shape
        rows.append({"width": width, "height": height, "runs": int(runs), "ms": times})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "fused_bn": not a.no_fuse,
                      "rows": rows}))


if __name__ == "__main__":
    main()
