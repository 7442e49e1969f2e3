"""Stand-ins for CamVid where a test trains through ``train_stage`` without the dataset: random
frames, and a classes.json (the class weights' only source) in a folder FCN_DATA_DIR can name."""

import json
from pathlib import Path

import torch


def synthetic_frames(n: int, seed: int) -> tuple:
    """``n`` random 80x64 frames and labels (11, void, included), the same for the same seed."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 64, 80), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 12, (n, 64, 80), generator=g, dtype=torch.uint8)  # 11 is void
    return images, labels


def write_classes_json(folder: Path) -> Path:
    """A CamVid-shaped classes.json in ``folder`` (11 classes and void); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    classes = [{"name": str(i), "color": [i, i, i], "ignore": False, "median_frequency_weight": 1.0 + i / 10}
               for i in range(11)] + [{"name": "void", "color": [0, 0, 0], "ignore": True}]
    (folder / "classes.json").write_text(json.dumps({"classes": classes}))
    return folder
