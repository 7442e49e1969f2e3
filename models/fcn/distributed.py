"""Data-parallel training across processes (``torchrun``), as small helpers for ``fcn.train``.

    python3 -m torch.distributed.run --nproc_per_node 8 -m fcn.train --out runs/x ...

torchrun starts one process per GPU (or per CPU share) and tells each its place through the
environment (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``). Every process holds the whole training
set and the same net; each trains on its own slice of every epoch's frames, and
DistributedDataParallel averages the gradients, so the weights stay identical. ``--batch`` is
per process: N processes step on N x ``--batch`` frames, and nothing (learning rate included)
is rescaled for it. Rank 0 alone evaluates and writes checkpoints; the others wait for it.
Started plainly (no ``WORLD_SIZE``), training is one process, exactly as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    size: int = 1
    rank: int = 0
    local_rank: int = 0  # the rank on this machine: which GPU this process uses

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that evaluates, prints progress and writes checkpoints."""
        return self.rank == 0


def world_from_env(env: Mapping[str, str] = os.environ) -> World:
    """The world torchrun (or ``torch.distributed.launch``) describes; one process without it."""
    size = int(env.get("WORLD_SIZE", "1"))
    rank = int(env.get("RANK", "0"))
    local_rank = int(env.get("LOCAL_RANK", str(rank)))
    if size < 1 or not 0 <= rank < size:
        raise ValueError(f"RANK {rank} is not within WORLD_SIZE {size}")
    return World(size, rank, local_rank)


def shard(order: torch.Tensor, world: World) -> torch.Tensor:
    """This rank's frames of one epoch's global ``order`` (which every rank draws alike).

    As ``DistributedSampler`` does: the order is padded by its own first entries to a multiple
    of the world size and dealt out in turn (rank r takes entries r, r + size, ...), so every
    rank gets as many frames, hence as many steps (DDP hangs when ranks differ in steps). One
    process gets the order itself."""
    if not world.distributed:
        return order
    padding = -len(order) % world.size
    padded = torch.cat([order, order[:padding]]) if padding else order
    return padded[world.rank :: world.size]


def rank_seed(seed: int, world: World) -> int:
    """The seed of this rank's augmentation and dropout: ``seed`` itself for one process (so
    single-process runs draw what they always drew), a distinct one per rank otherwise (the
    same seed on every rank would flip, crop and jitter each rank's i-th frame alike)."""
    return seed if not world.distributed else seed * world.size + world.rank + 1


def device_for(device: torch.device, world: World) -> torch.device:
    """A CUDA process uses the GPU of its local rank; the CPU stays the CPU."""
    if world.distributed and device.type == "cuda":
        return torch.device("cuda", world.local_rank)
    return device


def init(world: World, device: torch.device) -> None:
    """Join the process group (env:// rendezvous from torchrun): NCCL between GPUs, gloo on the
    CPU. The timeout is long because the other ranks wait at a barrier while rank 0 scores the
    evaluation sets, which takes minutes on a CPU."""
    if not world.distributed:
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timedelta(hours=2))


def wrap(model: nn.Module, world: World, device: torch.device) -> nn.Module:
    """``model`` (already on ``device``) as DistributedDataParallel; the model itself for one
    process. On CUDA its BatchNorms become SyncBatchNorm first (statistics over every rank's
    batch); on the CPU they stay per process, because torch 1.13's SyncBatchNorm runs on CUDA
    only ("SyncBatchNorm expected input tensor to be on GPU"), and DDP copies rank 0's running
    statistics to the others at every forward. SyncBatchNorm keeps BatchNorm's state-dict keys,
    so checkpoints load into the plain net."""
    if not world.distributed:
        return model
    if device.type == "cuda":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return nn.parallel.DistributedDataParallel(model, device_ids=[device.index])
    return nn.parallel.DistributedDataParallel(model)


def barrier(world: World) -> None:
    """Wait for every rank (after rank 0 wrote a checkpoint the others may read next)."""
    if world.distributed:
        dist.barrier()


def all_finite(loss: torch.Tensor, world: World) -> bool:
    """Whether the loss is finite on every rank: a step is skipped everywhere or nowhere (a
    rank that skipped its backward alone would leave the others waiting in theirs)."""
    finite = torch.isfinite(loss.detach())
    if not world.distributed:
        return bool(finite)
    flag = finite.to(torch.int32).reshape(1)
    dist.all_reduce(flag, op=dist.ReduceOp.MIN)
    return bool(flag.item())


def finish(world: World) -> None:
    """Leave the process group."""
    if world.distributed:
        dist.destroy_process_group()
