"""CamVid (SegNet 11-class split), read in place and held in memory as uint8 tensors."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

IGNORE_INDEX = 11
# ImageNet statistics, the paper's convention; stored in every exported model's metadata.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

DEFAULT_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "camvid"


def camvid_root() -> Path:
    return Path(os.environ.get("CAMVID_DIR", DEFAULT_ROOT))


def load_split(split: str, root: Path | None = None, limit: int | None = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 3, H, W) uint8 and labels (N, H, W) uint8 of ``train`` or ``val``."""
    root = root or camvid_root()
    pairs = [line.split() for line in (root / f"{split}.txt").read_text().splitlines() if line.strip()]
    pairs = pairs[:limit] if limit else pairs
    images = np.stack([np.asarray(Image.open(root / img).convert("RGB")) for img, _ in pairs])
    labels = np.stack([np.asarray(Image.open(root / lbl)) for _, lbl in pairs])
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels)


def class_weights(root: Path | None = None, power: float = 0.5) -> torch.Tensor:
    """Median-frequency class weights from classes.json, softened by ``power``."""
    meta = json.loads(((root or camvid_root()) / "classes.json").read_text())
    w = [c["median_frequency_weight"] for c in meta["classes"] if not c["ignore"]]
    return torch.tensor(w, dtype=torch.float32) ** power


def normalize(images_uint8: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (images_uint8.float() / 255.0 - mean) / std


def augment_batch(images: torch.Tensor, labels: torch.Tensor, crop: int, scale: Tuple[float, float],
                  generator: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
    """Random log-uniform scale, random crop (padded with void), horizontal flip and colour
    jitter. Returns normalised float images (N, 3, crop, crop) and int64 labels."""
    out_x, out_y = [], []
    for img, lbl in zip(images, labels):
        r = torch.rand(6, generator=generator).tolist()
        s = math.exp(math.log(scale[0]) + r[0] * (math.log(scale[1]) - math.log(scale[0])))
        h, w = max(1, round(img.shape[1] * s)), max(1, round(img.shape[2] * s))
        x = F.interpolate(img[None].float(), size=(h, w), mode="bilinear", align_corners=False)[0]
        y = F.interpolate(lbl[None, None].float(), size=(h, w), mode="nearest")[0, 0].long()
        ph, pw = max(0, crop - h), max(0, crop - w)
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), value=0.0)
            y = F.pad(y, (0, pw, 0, ph), value=IGNORE_INDEX)
        top = int(r[1] * (x.shape[1] - crop + 1))
        left = int(r[2] * (x.shape[2] - crop + 1))
        x = x[:, top : top + crop, left : left + crop]
        y = y[top : top + crop, left : left + crop]
        if r[3] < 0.5:
            x, y = x.flip(-1), y.flip(-1)
        # brightness and contrast jitter of +-25%
        bright = 0.75 + 0.5 * r[4]
        contrast = 0.75 + 0.5 * r[5]
        mean = x.mean()
        x = ((x - mean) * contrast + mean) * bright
        out_x.append(x.clamp(0, 255))
        out_y.append(y)
    return normalize(torch.stack(out_x)), torch.stack(out_y)
