"""The paper's four metrics from one confusion matrix (mirrors models/runtime/metrics.ts)."""

from __future__ import annotations

from typing import Dict

import numpy as np


def confusion(pred: np.ndarray, label: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts, rows = ground truth; labels outside range ignored."""
    valid = (label >= 0) & (label < num_classes)
    idx = num_classes * label[valid].astype(np.int64) + pred[valid].astype(np.int64)
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def scores(hist: np.ndarray) -> Dict[str, object]:
    """pixel accuracy, mean accuracy, mean IU, frequency-weighted IU (as fractions)."""
    hist = hist.astype(np.float64)
    tp = np.diag(hist)
    gt = hist.sum(1)
    pred = hist.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = tp / gt
        iu = tp / (gt + pred - tp)
    freq = gt / hist.sum()
    present = freq > 0
    # As in fcn.berkeleyvision.org's score.py: NaN (0/0) classes are left out of the means.
    return {
        "pixel_accuracy": float(tp.sum() / hist.sum()),
        "mean_accuracy": float(np.nanmean(acc)),
        "mean_iu": float(np.nanmean(iu)),
        "fw_iu": float((freq[present] * iu[present]).sum()),
        "iu": [float(v) for v in iu],
    }
