"""CamVid (SegNet 11-class split), read in place and held in memory as uint8 tensors."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

IGNORE_INDEX = 11
# ImageNet statistics, the paper's convention; stored in every exported model's metadata.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

REPO = Path(__file__).resolve().parents[2]
# Where CamVid is looked for, declared once for Python and TypeScript (cli/data/location.ts).
LOCATION = json.loads((REPO / "models" / "camvid-location.json").read_text())


def camvid_candidates() -> List[Path]:
    """The folders looked in when FCN_DATA_DIR is not set, in order."""
    return [(REPO / c).resolve() for c in LOCATION["candidates"]]


def has_camvid(root: Path) -> bool:
    return (root / LOCATION["marker"]).exists()


def camvid_root() -> Path:
    """$FCN_DATA_DIR when set, else the first candidate holding train.txt (data/camvid, where
    ``npx fcn data camvid`` writes, then ../shared/datasets/camvid), else data/camvid."""
    configured = os.environ.get(LOCATION["env"], "").strip()
    if configured:
        return Path(configured).resolve()
    return next((c for c in camvid_candidates() if has_camvid(c)), camvid_candidates()[0])


def camvid_missing() -> str:
    """Where CamVid was looked for and how to get it (the TypeScript loaders say the same)."""
    env = LOCATION["env"]
    where = (f"{env}={os.environ[env]}" if os.environ.get(env, "").strip()
             else f"{env} (not set), {', '.join(LOCATION['candidates'])}")
    return (f"CamVid not found (no {LOCATION['marker']} in {where}): "
            f"run `npx fcn data camvid` or set {env} to its folder")


def drive_of(image_path: str) -> str:
    """CamVid frames are named ``<drive>_<frame>``: ``train/0006R0_f02310.png`` -> ``0006R0``."""
    return Path(image_path).name.split("_")[0]


def list_pairs(split: str, root: Path | None = None, drives: Sequence[str] | None = None,
               exclude_drives: Sequence[str] = ()) -> List[Tuple[str, str]]:
    """(image, label) paths of ``split``, which may join splits with ``+`` (``train+val``),
    keeping only ``drives`` when given and dropping ``exclude_drives``."""
    root = root or camvid_root()
    pairs = []
    for name in split.split("+"):
        pairs += [tuple(line.split()) for line in (root / f"{name}.txt").read_text().splitlines() if line.strip()]
    return [(img, lbl) for img, lbl in pairs
            if (drives is None or drive_of(img) in drives) and drive_of(img) not in exclude_drives]


def _first(pairs: list, limit: int | None) -> list:
    """The first ``limit`` pairs (all without one): the frames ``--limit`` keeps."""
    return pairs[:limit] if limit else pairs


def load_split(split: str, root: Path | None = None, limit: int | None = None, drives: Sequence[str] | None = None,
               exclude_drives: Sequence[str] = ()) -> Tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 3, H, W) uint8 and labels (N, H, W) uint8 of a split (see ``list_pairs``)."""
    root = root or camvid_root()
    pairs = _first(list_pairs(split, root, drives, exclude_drives), limit)
    images = np.stack([np.asarray(Image.open(root / img).convert("RGB")) for img, _ in pairs])
    labels = np.stack([np.asarray(Image.open(root / lbl)) for _, lbl in pairs])
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels)


def split_drives(split: str, root: Path | None = None, limit: int | None = None,
                 exclude_drives: Sequence[str] = ()) -> List[str]:
    """The drive of each frame ``load_split`` returns for the same arguments, in its order."""
    return [drive_of(img) for img, _ in _first(list_pairs(split, root, exclude_drives=exclude_drives), limit)]


def epoch_order(drives: Sequence[str], generator: torch.Generator, balance: bool = False) -> torch.Tensor:
    """The frame indices of one training epoch: a permutation; with ``balance``, as many draws
    (with replacement) in which every drive is equally likely, so no one drive (0016E5 is 204 of
    CamVid's 367 train frames) dominates what the net learns streets look like."""
    if not balance:
        return torch.randperm(len(drives), generator=generator)
    counts = {d: drives.count(d) for d in set(drives)}
    weights = torch.tensor([1.0 / counts[d] for d in drives], dtype=torch.double)
    return torch.multinomial(weights, len(drives), replacement=True, generator=generator)


def camvid_classes(root: Path | None = None) -> List[dict]:
    """The dataset's classes.json entries (name, colour, ignore, train pixel statistics), void included."""
    return json.loads(((root or camvid_root()) / "classes.json").read_text())["classes"]


def class_weights(root: Path | None = None, power: float = 0.5) -> torch.Tensor:
    """Median-frequency class weights from classes.json, softened by ``power``."""
    w = [c["median_frequency_weight"] for c in camvid_classes(root) if not c["ignore"]]
    return torch.tensor(w, dtype=torch.float32) ** power


def normalize(images_uint8: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN, device=images_uint8.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=images_uint8.device).view(1, 3, 1, 1)
    return (images_uint8.float() / 255.0 - mean) / std


def photometric(x: torch.Tensor, r: List[float], strength: str) -> torch.Tensor:
    """Colour and camera jitter on one float image (3, H, W) in 0..255, from 10 uniforms ``r``.

    ``basic``: brightness and contrast +-25%. ``strong`` adds what differs between drives and
    cameras: gamma 0.7-1.4, saturation 0.6-1.4, hue +-0.05 turn, a 3x3 blur on a quarter of the
    images and Gaussian sensor noise (sigma up to 6 grey levels) on half of them."""
    bright = 0.75 + 0.5 * r[0]
    contrast = 0.75 + 0.5 * r[1]
    mean = x.mean()
    x = (((x - mean) * contrast + mean) * bright).clamp(0, 255)
    if strength == "basic":
        return x
    gamma = math.exp(math.log(0.7) + r[2] * (math.log(1.4) - math.log(0.7)))
    x = 255.0 * (x / 255.0) ** gamma
    grey = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2])[None]
    x = grey + (x - grey) * (0.6 + 0.8 * r[3])
    x = _rotate_hue(x, (r[4] - 0.5) * 0.1 * 2 * math.pi)
    if r[5] < 0.25:
        k = torch.tensor([1.0, 2.0, 1.0], device=x.device)
        k = (k[:, None] * k[None, :] / 16.0).expand(3, 1, 3, 3)
        x = F.conv2d(F.pad(x[None], (1, 1, 1, 1), mode="replicate"), k, groups=3)[0]
    if r[6] < 0.5:
        # Drawn on the CPU wherever x is, so that a run draws the same noise on any device.
        x = x + torch.randn(x.shape, generator=_NOISE).to(x.device) * (6.0 * r[7])
    return x.clamp(0, 255)


# Sensor noise needs many numbers; a generator of its own keeps the per-image uniforms (and so
# every other augmentation) identical whether or not noise is drawn.
NOISE_SEED = 1234
_NOISE = torch.Generator().manual_seed(NOISE_SEED)


def seed_sensor_noise(seed: int) -> None:
    """Restart the sensor-noise generator from ``seed``: ``fcn.train`` does at every epoch
    (``epoch_seeds``), each process of a distributed run from its own, so that no two ranks
    add the same noise."""
    _NOISE.manual_seed(seed)


def _rotate_hue(x: torch.Tensor, angle: float) -> torch.Tensor:
    """Rotate the chroma of an RGB image by ``angle`` radians in YIQ space."""
    to_yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    c, s = math.cos(angle), math.sin(angle)
    rot = torch.tensor([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    m = torch.linalg.inv(to_yiq) @ rot @ to_yiq
    return torch.einsum("ij,jhw->ihw", m.to(x.device), x)


def augment_batch(images: torch.Tensor, labels: torch.Tensor, crop: int | None, scale: Tuple[float, float],
                  generator: torch.Generator, strength: str = "basic") -> Tuple[torch.Tensor, torch.Tensor]:
    """Random log-uniform scale, random crop (padded with void), horizontal flip and colour
    jitter (see ``photometric``). ``crop=None`` keeps whole frames (no scaling or cropping).
    Returns normalised float images (N, 3, crop, crop) and int64 labels, on the frames' device:
    frames held on a GPU are augmented there (the random draws stay on the CPU generator)."""
    out_x, out_y = [], []
    for img, lbl in zip(images, labels):
        r = torch.rand(14, generator=generator).tolist()
        if crop is None:
            x, y = img.float(), lbl.long()
        else:
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
        out_x.append(photometric(x, r[4:], strength))
        out_y.append(y)
    return normalize(torch.stack(out_x)), torch.stack(out_y)


def class_mix(images: torch.Tensor, labels: torch.Tensor, generator: torch.Generator,
              p: float = 0.5) -> Tuple[torch.Tensor, torch.Tensor]:
    """ClassMix (Olsson et al., 2021) on an augmented batch: with probability ``p`` a sample
    gets the pixels of half the classes present in its neighbour (the next sample, cyclically),
    image and labels alike. Objects land in streets they were never seen in, which is what a
    new drive looks like to the net. Void pixels are never pasted. Returns new tensors."""
    n = len(images)
    x, y = images.clone(), labels.clone()
    if n < 2:  # no neighbour to take classes from
        return x, y
    for i in range(n):
        if float(torch.rand(1, generator=generator)) >= p:
            continue
        j = (i + 1) % n
        present = [c for c in labels[j].unique().tolist() if c != IGNORE_INDEX]
        if not present:
            continue
        order = torch.randperm(len(present), generator=generator).tolist()
        chosen = torch.tensor([present[k] for k in order[: (len(present) + 1) // 2]], device=labels.device)
        mask = torch.isin(labels[j], chosen)
        x[i] = torch.where(mask, images[j], images[i])
        y[i] = torch.where(mask, labels[j], labels[i])
    return x, y
