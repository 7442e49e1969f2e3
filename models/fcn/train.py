"""Train the FCN family on CamVid with the paper's staged schedule: FCN-32s, then FCN-16s
initialised from it, then FCN-8s initialised from FCN-16s.

    python3 -m fcn.train --stage all --out runs/vgg16-w025     # from models/
    python3 -m fcn.train --stage 16 --init runs/.../fcn32s/best.pt --out ...
    python3 -m fcn.train --holdout-drive 0006R0 --out runs/xdrive-baseline   # cross-drive
    python3 -m fcn.train --stage 32 --backbone vgg16-strided-stem --width 0.125 \
        --teacher runs/.../fcn8s/best.pt --out runs/edge-distilled             # distillation
    python3 -m fcn.train --backbone resnet18 --width 0.5 --dilate-last --out ...  # output stride 16

Every epoch writes ``<out>/fcn<stride>s/last.pt``; rerunning the same command resumes.

``--schedule`` sets the learning-rate decay after two warm-up epochs: ``cosine`` (the default)
or ``poly`` (``(1 - t)^0.9``, the from-scratch CamVid leaders'), both ending at 1% of ``--lr``.

Several processes (GPUs, or CPU shares) train one net with torchrun; the command is the same:

    python3 -m torch.distributed.run --nproc_per_node 8 -m fcn.train --stage all --out runs/x ...

(Debian's torch 1.13 on Python 3.11 needs ``--redirects 1 --tee 1`` before ``-m``: its
torchrun fails at start otherwise, see the model card.)

Each process trains on its slice of every epoch and DistributedDataParallel averages the
gradients (NCCL between GPUs, gloo on CPUs); ``--batch`` and ``--threads`` are per process and
nothing is rescaled (8 processes of ``--batch 8`` step on 64 frames at ``--lr``). Rank 0 alone
evaluates and writes the checkpoints; resuming is the same command again (``fcn.distributed``).

Checkpoints are chosen by the score that best predicts streets the net never saw: with
``--holdout-drive`` that drive's frames leave the training set and become the selection set
(val, the same drive as half of train, is still scored and reported beside it). The shipped
models train on all labelled frames (``--train-split train+val``), as published CamVid results
do: nothing is left to select on, so each stage keeps its last epoch, and the recipe's epochs
are the ones its held-out-drive run chose.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .backbones import BACKBONES, DILATABLE
from . import distributed
from .data import (augment_batch, class_mix, class_weights, epoch_order, list_pairs, load_split,
                   normalize, seed_sensor_noise, split_drives)
from .losses import LOSSES, distillation
from .fcn import FCN, NUM_CLASSES, count_parameters, from_config, init_from_coarser
from .metrics import confusion, scores
from .progress import Progress


@torch.no_grad()
def evaluate(model: FCN, images: torch.Tensor, labels: torch.Tensor, batch: int = 4,
             size: tuple | None = None) -> dict:
    """Val scores; with ``size`` (h, w) the net runs at that resolution and its labels are
    brought back by nearest neighbour, as the edge tier does."""
    model.eval()
    device = next(model.parameters()).device
    hist = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    for i in range(0, len(images), batch):
        x = images[i : i + batch].float()
        if size:
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        x = normalize(x).to(device).contiguous(memory_format=torch.channels_last)
        pred = model(x).argmax(1).cpu()
        if size:
            pred = F.interpolate(pred[:, None].float(), size=labels.shape[1:], mode="nearest")[:, 0].long()
        pred = pred.numpy()
        hist += confusion(pred, labels[i : i + batch].numpy(), NUM_CLASSES)
    return scores(hist)


def load_teacher(path: Path) -> FCN:
    """A trained FCN (any stride, backbone and width: its checkpoint says which) as a fixed
    distillation teacher: eval mode, no gradients."""
    state = torch.load(path, map_location="cpu")
    teacher = from_config(state["config"], state["stride"])
    teacher.load_state_dict(state["model"])
    teacher.eval().requires_grad_(False)
    return teacher.to(memory_format=torch.channels_last)


def batch_loss(model: FCN, x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor, loss_fn, bf16: bool,
               teacher: FCN | None = None, distill_weight: float = 0.0, temperature: float = 1.0) -> torch.Tensor:
    """The training loss of one augmented batch: ``loss_fn`` on the labels, plus, with a
    teacher, ``distill_weight`` times the distillation loss towards the teacher's scores on the
    same batch (both nets are fully convolutional, so they see the same input)."""
    x = x.contiguous(memory_format=torch.channels_last)
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = model(x)
        if teacher is not None:
            with torch.no_grad():  # the teacher under the same autocast as the student
                teacher_logits = teacher(x)
    # The losses in fp32.
    loss = loss_fn(logits.float(), y, weights)
    if teacher is not None:
        loss = loss + distill_weight * distillation(logits.float(), teacher_logits.float(), y, temperature)
    return loss


def lr_at(step: int, total: int, warmup: int, base: float, schedule: str = "cosine") -> float:
    """Linear warm-up, then ``cosine`` (to 1% of ``base``) or ``poly`` (``(1 - t)^0.9``, the
    schedule of the from-scratch CamVid leaders, to 1% as well)."""
    if step < warmup:
        return base * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    decay = 0.5 * (1 + math.cos(math.pi * t)) if schedule == "cosine" else (1 - t) ** 0.9
    return base * (0.01 + 0.99 * decay)


@torch.no_grad()
def update_average(average: torch.nn.Module, model: torch.nn.Module, step: int, decay: float) -> None:
    """One step of the exponential moving average of ``model``'s weights (Polyak averaging):
    ``average = d * average + (1 - d) * model`` over parameters and BatchNorm statistics, with
    ``d = min(decay, (1 + step) / (10 + step))`` so that the first steps' random weights fade
    fast. Integer buffers (BatchNorm's batch count) are copied. The average is what is scored
    and kept: it sits in a flatter part of the loss than the last step's weights."""
    d = min(decay, (1 + step) / (10 + step))
    for a, m in zip(average.state_dict().values(), model.state_dict().values()):
        if a.is_floating_point():
            a.mul_(d).add_(m, alpha=1 - d)
        else:
            a.copy_(m)


def save_atomically(state: dict, path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, then renamed over it: a run killed
    while writing (every session's end stops the runs) leaves the previous checkpoint whole
    instead of a truncated one that the resume cannot read."""
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, path)


def epoch_seeds(seed: int, stride: int, epoch: int) -> tuple[int, int, int]:
    """Three independent seeds for one epoch of one stage: its frame order and augmentation,
    its sensor noise, its dropout. They come from (seed, stride, epoch) alone, so a run stopped
    and resumed at any epoch draws what it would have drawn uninterrupted (runs here span
    sessions and are stopped every few hours; before, a resume started new streams, and two
    runs of one seed and recipe differed by 5 points at epoch 30)."""
    return tuple(int(s) for s in np.random.SeedSequence([seed, stride, epoch]).generate_state(3))


def evaluate_all(model: FCN, sets: dict, size: tuple | None) -> dict:
    """Scores on every evaluation set (``holdout`` first when present, then ``val``)."""
    return {name: evaluate(model, *data, size=size) for name, data in sets.items()}


def pick_device(name: str) -> torch.device:
    """``auto``: CUDA when this machine has it, else the CPU. Checkpoints are written so that
    either loads them (``map_location="cpu"`` everywhere)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def cpu_has_native_bf16(cpuinfo: str) -> bool:
    """Whether a ``/proc/cpuinfo`` text names a CPU with bf16 arithmetic in hardware
    (AVX512-BF16 or AMX-BF16). Elsewhere torch 1.13's bf16 kernels are emulated: an AVX2-only
    EPYC took about 20 s a step for the heavy recipe where fp32 takes about 2 s."""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return bool(flags & {"avx512_bf16", "amx_bf16"})
    return False


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 autocast speeds training up on ``device`` rather than slowing it down."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        return cpu_has_native_bf16(Path("/proc/cpuinfo").read_text())
    except OSError:  # not Linux: no way to tell, so the safe fp32
        return False


def same_dilation(state: dict, cfg: dict, path: Path) -> None:
    """Refuse a checkpoint whose ``--dilate-last`` differs from the run's: its weights would
    load without a complaint (the same shapes) into a net whose taps are elsewhere."""
    if state["config"].get("dilate_last", False) != cfg.get("dilate_last", False):
        raise ValueError(f"{path} and this run differ in --dilate-last")


def train_stage(cfg: dict, stride: int, epochs: int, lr: float, out: Path, init: Path | None,
                train: tuple, evals: dict, drives: list, device: torch.device = torch.device("cpu"),
                world: distributed.World = distributed.World()) -> Path:
    """Train one stage; ``evals`` maps a name to (images, labels), the first one selects;
    ``drives`` names each training frame's drive (for ``balance_drives``). The training frames
    go to ``device`` once and are augmented there: on a GPU, augmenting on one CPU thread would
    take longer than the steps (about 45 ms a batch). In a ``world`` of
    several processes each trains on its shard of every epoch and rank 0 alone evaluates and
    writes (``fcn.distributed``)."""
    stage_dir = out / f"fcn{stride}s"
    if world.is_main:
        stage_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg["seed"] + stride)
    model = from_config(cfg, stride)  # the same initial weights on every rank
    last = stage_dir / "last.pt"
    history: list = []
    start_epoch, best = 0, -1.0
    state = torch.load(last, map_location="cpu") if last.exists() else None
    if state is not None:
        same_dilation(state, cfg, last)
        model.load_state_dict(state.get("trained", state["model"]))
        start_epoch, best, history = state["epoch"], state["best"], state["history"]
        print(f"resuming fcn{stride}s at epoch {start_epoch}", file=sys.stderr)
    elif init is not None:
        coarse_state = torch.load(init, map_location="cpu")
        same_dilation(coarse_state, cfg, init)
        coarse = from_config(cfg, coarse_state["stride"])
        coarse.load_state_dict(coarse_state["model"])
        init_from_coarser(model, coarse)
        print(f"fcn{stride}s initialised from {init}", file=sys.stderr)
    if start_epoch >= epochs:
        return stage_dir / "best.pt"
    # --bf16 asks for bf16 where it is fast; the same run resumed on a CPU without it goes on in
    # fp32 (B-bf16 and A, fp32, scored within 0.2 of each other on the held-out drive).
    bf16 = cfg.get("bf16", False) and native_bf16(device)
    if cfg.get("bf16", False) and not bf16 and world.is_main:
        print(f"fcn{stride}s: no native bf16 on this {device.type}, training in fp32", file=sys.stderr)
    model = model.to(device, memory_format=torch.channels_last)
    # The optimizer after the move, so that its resumed state lands on the weights' device.
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    if state is not None:
        opt.load_state_dict(state["optimizer"])
    # With --ema the moving average of the weights is what is scored, selected and saved as
    # "model"; the trained weights go on in last.pt's "trained" for resuming.
    ema_decay = cfg.get("ema", 0.0)
    average = copy.deepcopy(model).requires_grad_(False) if ema_decay else None
    if average is not None and state is not None:
        average.load_state_dict(state["model"])
    kept = average if average is not None else model
    # What steps: DDP over ``model`` (whose own state dict, without DDP's "module." prefix, is
    # what checkpoints hold); ``model`` itself for one process. Wrapped after the optimizer and
    # the average were made from ``model``: SyncBatchNorm keeps the same parameter tensors.
    stepped = distributed.wrap(model, world, device)
    teacher = load_teacher(Path(cfg["teacher"])).to(device) if cfg.get("teacher") else None
    if teacher is not None:
        print(f"fcn{stride}s distilled from {cfg['teacher']} (fcn{teacher.stride}s, weight "
              f"{cfg['distill_weight']}, T {cfg['distill_temperature']})", file=sys.stderr)
    weights = class_weights(power=cfg["class_weight_power"]).to(device)
    loss_fn = LOSSES[cfg.get("loss", "ce")]
    select = next(iter(evals), None)  # None: every frame trains, the last epoch is kept
    full_frame_from = epochs - cfg.get("full_frame_epochs", 0)
    images, labels = (t.to(device) for t in train)  # uint8: 243 MB for all 468 CamVid frames
    steps_per_epoch = math.ceil(math.ceil(len(images) / world.size) / cfg["batch"])  # per rank
    total_steps = epochs * steps_per_epoch
    # ``gen`` draws each epoch's order, alike on every rank; ``augment_gen`` the augmentation,
    # its own per rank (sensor noise and dropout too). One process: one generator for both.
    # All are seeded again at each epoch from ``epoch_seeds``.
    gen = augment_gen = torch.Generator()
    if world.distributed:
        augment_gen = torch.Generator()
    if world.is_main:
        print(f"fcn{stride}s: {count_parameters(model)/1e6:.2f}M parameters, {epochs} epochs"
              + (f", {world.size} processes of batch {cfg['batch']}" if world.distributed else ""), file=sys.stderr)
    quiet = open(os.devnull, "w") if not world.is_main else sys.stderr  # one progress bar, rank 0's
    for epoch in range(start_epoch, epochs):
        order_seed, noise_seed, dropout_seed = epoch_seeds(cfg["seed"], stride, epoch)
        gen.manual_seed(order_seed)
        augment_gen.manual_seed(distributed.rank_seed(order_seed, world))
        seed_sensor_noise(distributed.rank_seed(noise_seed, world))
        torch.manual_seed(distributed.rank_seed(dropout_seed, world))
        model.train()
        order = distributed.shard(epoch_order(drives, gen, cfg.get("balance_drives", False)), world)
        bar = Progress(steps_per_epoch, f"fcn{stride}s epoch {epoch + 1}/{epochs}", stream=quiet)
        t0, losses = time.time(), []
        for step in range(steps_per_epoch):
            idx = order[step * cfg["batch"] : (step + 1) * cfg["batch"]]
            crop = None if epoch >= full_frame_from else cfg["crop"]
            x, y = augment_batch(images[idx], labels[idx], crop, tuple(cfg["scale"]), augment_gen,
                                 cfg.get("photometric", "basic"))
            if cfg.get("mix") == "classmix":
                x, y = class_mix(x, y, augment_gen)
            for group in opt.param_groups:
                group["lr"] = lr_at(epoch * steps_per_epoch + step, total_steps, 2 * steps_per_epoch, lr,
                                    cfg.get("schedule", "cosine"))
            # bf16 autocast where it is native (measured in the model card); the loss in fp32.
            # Whole 480x360 frames stay fp32: torch 1.13's bf16 CPU kernels turned the first
            # convs' weights into NaN in one step there (seen on this CPU; 256-pixel crops are fine).
            loss = batch_loss(stepped, x, y, weights, loss_fn, bf16 and crop is not None,
                              teacher, cfg.get("distill_weight", 0.0), cfg.get("distill_temperature", 1.0))
            if not distributed.all_finite(loss, world):
                # One bad batch must not poison the weights: skip it, and say so.
                print(f"fcn{stride}s epoch {epoch + 1} step {step}: non-finite loss (rank {world.rank}), "
                      "step skipped", file=sys.stderr)
                continue
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if average is not None:
                update_average(average, model, epoch * steps_per_epoch + step, ema_decay)
            losses.append(loss.item())
            shown = {"best_miou": max(best, 0.0)} if select is not None else {}  # nothing scored: no best
            bar.update(step + 1, loss=float(np.mean(losses[-20:])), **shown)
        record = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "seconds": time.time() - t0}
        if not world.is_main:  # rank 0 scores and writes; the others wait until it has
            distributed.barrier(world)
            continue
        if select is None and epoch + 1 == epochs:
            save_atomically({"model": kept.state_dict(), "stride": stride, "config": cfg, "epoch": epoch + 1,
                             "scores": {}, "selected_by": "last epoch"}, stage_dir / "best.pt")
        elif select is not None and ((epoch + 1) % cfg["eval_every"] == 0 or epoch + 1 == epochs):
            results = evaluate_all(kept, evals, tuple(cfg["eval_size"]) if cfg.get("eval_size") else None)
            result = results[select]
            record.update({k: v for k, v in result.items() if k != "iu"})
            record["scores"] = results
            if result["mean_iu"] > best:
                best = result["mean_iu"]
                save_atomically({"model": kept.state_dict(), "stride": stride, "config": cfg, "epoch": epoch + 1,
                                 "val": results.get("val", result), "scores": results, "selected_by": select},
                                stage_dir / "best.pt")
            shown = " ".join(f"{k} mIoU {v['mean_iu']*100:.2f}" for k, v in results.items())
            print(f"fcn{stride}s epoch {epoch + 1}: loss {record['loss']:.4f} {shown}"
                  f" (best {select} {best*100:.2f})", file=sys.stderr)
        history.append(record)
        trained = {"trained": model.state_dict()} if average is not None else {}
        save_atomically({"model": kept.state_dict(), **trained, "optimizer": opt.state_dict(), "epoch": epoch + 1,
                         "best": best, "history": history, "stride": stride, "config": cfg}, last)
        (stage_dir / "history.json.partial").write_text(json.dumps(history, indent=1))
        os.replace(stage_dir / "history.json.partial", stage_dir / "history.json")  # whole, like last.pt
        distributed.barrier(world)
    if quiet is not sys.stderr:
        quiet.close()
    return stage_dir / "best.pt"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stage", default="all", choices=["32", "16", "8", "all"])
    p.add_argument("--out", type=Path, required=True, help="run folder (checkpoints; keep it out of git)")
    p.add_argument("--init", type=Path, help="checkpoint of the coarser net for --stage 16 or 8")
    p.add_argument("--backbone", default="vgg16", choices=sorted(BACKBONES))
    p.add_argument("--width", type=float, default=0.25, help="channel width multiplier")
    p.add_argument("--fc-channels", type=int, default=1024, help="fc6/fc7 channels before --width")
    p.add_argument("--dilate-last", action="store_true",
                   help="resnet18/resnet34 only: dilate the last stage instead of pooling before it "
                        "(output stride 16, FCN-32s upsamples by 16; same parameters, more MACs)")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--epochs", type=int, nargs=3, default=[50, 25, 45], metavar=("E32", "E16", "E8"))
    p.add_argument("--lr", type=float, nargs=3, default=[2e-3, 1e-3, 1e-3], metavar=("LR32", "LR16", "LR8"))
    p.add_argument("--schedule", default="cosine", choices=["cosine", "poly"], help="learning-rate decay")
    p.add_argument("--batch", type=int, default=8, help="frames per step, per process under torchrun")
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--scale", type=float, nargs=2, default=[0.6, 1.5])
    p.add_argument("--weight-decay", type=float, default=1e-2)
    p.add_argument("--class-weight-power", type=float, default=0.5)
    p.add_argument("--eval-every", type=int, default=5)
    p.add_argument("--eval-size", type=int, nargs=2, metavar=("HEIGHT", "WIDTH"),
                   help="validate at this resolution (the edge model's preview size)")
    p.add_argument("--photometric", default="basic", choices=["basic", "strong"],
                   help="colour jitter: brightness/contrast, or also gamma, saturation, hue, blur, noise")
    p.add_argument("--mix", default="none", choices=["none", "classmix"],
                   help="paste half the classes of one crop onto the next (ClassMix)")
    p.add_argument("--loss", default="ce", choices=sorted(LOSSES), help="ce, ohem or ce+lovasz")
    p.add_argument("--full-frame-epochs", type=int, default=0,
                   help="last N epochs of each stage on whole 480x360 frames (no crop or rescale)")
    p.add_argument("--balance-drives", action="store_true",
                   help="draw each epoch's frames so that every training drive is equally likely")
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="keep and score a moving average of the weights with this decay per step (0: off)")
    p.add_argument("--bf16", action="store_true",
                   help="bfloat16 autocast where the hardware has it (AVX512-BF16 or AMX CPUs, GPUs); fp32 elsewhere")
    p.add_argument("--teacher", type=Path,
                   help="checkpoint of a trained FCN (e.g. the FCN-8s) whose scores the net also learns")
    p.add_argument("--distill-weight", type=float, default=1.0, help="weight of the distillation loss")
    p.add_argument("--distill-temperature", type=float, default=2.0, help="softmax temperature T of both nets")
    p.add_argument("--train-split", default="train", help="train, or train+val for the shipped models")
    p.add_argument("--holdout-drive", help="leave this drive out of training and select checkpoints on it")
    p.add_argument("--threads", type=int, default=2, help="CPU threads per process")
    p.add_argument("--device", default="auto", help="auto (CUDA when present, else cpu), cpu, cuda or cuda:N")
    p.add_argument("--limit", type=int, help="use only the first N train/val images (smoke tests)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.dilate_last and a.backbone not in DILATABLE:
        p.error(f"--dilate-last needs a ResNet backbone ({', '.join(DILATABLE)}), not {a.backbone}")
    torch.set_num_threads(a.threads)
    world = distributed.world_from_env()
    device = distributed.device_for(pick_device(a.device), world)
    distributed.init(world, device)
    cfg = {"backbone": a.backbone, "width": a.width, "fc_channels": a.fc_channels, "dropout": a.dropout,
           "batch": a.batch, "crop": a.crop, "scale": a.scale, "weight_decay": a.weight_decay,
           "class_weight_power": a.class_weight_power, "eval_every": a.eval_every, "seed": a.seed,
           "eval_size": a.eval_size, "photometric": a.photometric, "loss": a.loss,
           "full_frame_epochs": a.full_frame_epochs, "bf16": a.bf16, "train_split": a.train_split,
           "holdout_drive": a.holdout_drive, "teacher": str(a.teacher) if a.teacher else None,
           "distill_weight": a.distill_weight, "distill_temperature": a.distill_temperature,
           "ema": a.ema, "mix": a.mix, "balance_drives": a.balance_drives, "schedule": a.schedule,
           "dilate_last": a.dilate_last}
    t0 = time.time()
    held = [a.holdout_drive] if a.holdout_drive else []
    train = load_split(a.train_split, limit=a.limit, exclude_drives=held)
    drives = split_drives(a.train_split, limit=a.limit, exclude_drives=held)
    evals = {}
    if a.holdout_drive:
        evals["holdout"] = load_split("train+val", limit=a.limit, drives=held)
    # val is all 0016E5: holding that drive out (a fold, experiments/folds.sh) leaves no val.
    if "val" not in a.train_split.split("+") and list_pairs("val", exclude_drives=held):
        evals["val"] = load_split("val", limit=a.limit, exclude_drives=held)
    sizes = " / ".join(f"{len(v[0])} {k}" for k, v in evals.items()) or "no held-out"
    print(f"loaded {len(train[0])} train / {sizes} images in {time.time() - t0:.1f}s", file=sys.stderr)
    stages = [32, 16, 8] if a.stage == "all" else [int(a.stage)]
    init = a.init
    print(f"training on {device}" + (f" (rank {world.rank} of {world.size})" if world.distributed else ""),
          file=sys.stderr)
    if world.is_main:  # the whole plan, for `fcn.report --status`'s estimate of the hours left
        print("stages: " + ", ".join(f"fcn{s}s {a.epochs[[32, 16, 8].index(s)]} epochs" for s in stages),
              file=sys.stderr)
    for stride in stages:
        i = [32, 16, 8].index(stride)
        init = train_stage(cfg, stride, a.epochs[i], a.lr[i], a.out, init if stride != 32 else None, train, evals,
                           drives, device, world)
    distributed.finish(world)
    print(f"done in {(time.time() - t0) / 60:.1f} min", file=sys.stderr)


if __name__ == "__main__":
    main()
