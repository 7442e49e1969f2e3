"""A dependency-free progress bar: redraws in place on a terminal, prints every 10% in logs."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str, stream=sys.stderr):
        self.total, self.label, self.stream = max(1, total), label, stream
        self.start = time.time()
        self.tty = stream.isatty()
        self.last_decile = -1

    def update(self, done: int, **fields: float | str) -> None:
        frac = done / self.total
        elapsed = time.time() - self.start
        eta = elapsed / frac - elapsed if frac > 0 else 0.0
        info = " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())
        bar = "#" * int(frac * 24)
        line = f"{self.label} [{bar:<24}] {done}/{self.total} {elapsed:5.0f}s eta {eta:4.0f}s {info}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= self.total else ""))
        elif int(frac * 10) != self.last_decile or done >= self.total:
            self.last_decile = int(frac * 10)
            self.stream.write(line + "\n")
        self.stream.flush()
