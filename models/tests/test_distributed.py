"""Data-parallel training: the helpers, and two real gloo processes training one tiny net on
synthetic frames (no CamVid needed) through ``train_stage``."""

import json
import os
import socket
import tempfile
import unittest
from pathlib import Path

import torch
import torch.multiprocessing as mp

from fcn import distributed, train
from fcn.distributed import World, rank_seed, shard, world_from_env
from fcn.data import LOCATION
from fcn.fcn import from_config
from tests.synthetic import synthetic_frames, write_classes_json

CFG = {"backbone": "vgg16", "width": 1 / 16, "fc_channels": 64, "dropout": 0.1, "batch": 2, "crop": 64,
       "scale": [0.8, 1.25], "weight_decay": 1e-2, "class_weight_power": 0.5, "eval_every": 1, "seed": 0,
       "eval_size": None, "photometric": "strong", "bf16": False}
FRAMES = 5  # odd: two ranks need one padded frame each epoch
STRIDE = 32


class WorldTest(unittest.TestCase):
    def test_without_torchrun_one_process_is_the_main_one(self):
        world = world_from_env({})
        self.assertEqual(world, World(1, 0, 0))
        self.assertFalse(world.distributed)
        self.assertTrue(world.is_main)

    def test_torchrun_environment_gives_the_place(self):
        world = world_from_env({"WORLD_SIZE": "8", "RANK": "5", "LOCAL_RANK": "1"})
        self.assertEqual(world, World(8, 5, 1))
        self.assertTrue(world.distributed)
        self.assertFalse(world.is_main)
        self.assertEqual(distributed.device_for(torch.device("cuda"), world), torch.device("cuda", 1))
        self.assertEqual(distributed.device_for(torch.device("cpu"), world), torch.device("cpu"))

    def test_a_rank_outside_the_world_is_refused(self):
        with self.assertRaises(ValueError):
            world_from_env({"WORLD_SIZE": "2", "RANK": "2"})


class ShardTest(unittest.TestCase):
    def test_one_process_keeps_the_order_itself(self):
        order = torch.randperm(7, generator=torch.Generator().manual_seed(0))
        self.assertTrue(torch.equal(shard(order, World()), order))

    def test_ranks_share_out_every_frame_in_equal_shards(self):
        order = torch.randperm(7, generator=torch.Generator().manual_seed(0))
        shards = [shard(order, World(3, r)) for r in range(3)]
        self.assertEqual({len(s) for s in shards}, {3})  # 7 frames padded to 9: three steps alike
        dealt = torch.cat(shards)
        self.assertEqual(set(dealt.tolist()), set(range(7)))  # every frame trains
        self.assertEqual(len(dealt) - len(set(dealt.tolist())), 2)  # only the padding repeats
        self.assertTrue(torch.equal(shards[1], order[[1, 4, 0]]))  # dealt in turn, padded from the start

    def test_one_process_keeps_its_seed_and_ranks_get_their_own(self):
        self.assertEqual(rank_seed(1234, World()), 1234)
        seeds = {rank_seed(1234, World(4, r)) for r in range(4)}
        self.assertEqual(len(seeds), 4)
        self.assertNotIn(1234, seeds)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, tmp: str, port: int) -> None:
    """One training process, as torchrun would start it: two epochs, then a third resumed."""
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "WORLD_SIZE": "2",
                       "RANK": str(rank), "LOCAL_RANK": str(rank), LOCATION["env"]: str(Path(tmp) / "camvid")})
    torch.set_num_threads(1)
    world = world_from_env()
    distributed.init(world, torch.device("cpu"))
    # Observe, without changing them, the net train_stage builds and every file it saves.
    nets, saved, save = [], [], torch.save
    train.from_config = lambda cfg, stride: nets.append(from_config(cfg, stride)) or nets[-1]
    # (each checkpoint is written as <name>.partial and renamed: count it by its final name)
    torch.save = lambda obj, path, *a, **k: saved.append(Path(path).name.removesuffix(".partial")) or save(
        obj, path, *a, **k)
    frames, evals = synthetic_frames(FRAMES, 0), {"val": synthetic_frames(2, 1)}
    out = Path(tmp) / "run"
    for epochs in (2, 3):
        train.train_stage(CFG, STRIDE, epochs, 1e-2, out, None, frames, evals, ["d"] * FRAMES, world=world)
    torch.save = save
    # Parameters: BatchNorm's running statistics are rank 0's too, but only from the next forward on
    # (DDP broadcasts them as a forward starts; each rank's own batch then moves its copy).
    weights = {name: p.detach() for name, p in nets[-1].named_parameters()}
    torch.save({"weights": weights, "saved": saved}, Path(tmp) / f"rank{rank}.pt")
    distributed.finish(world)


class TwoProcessTrainingTest(unittest.TestCase):
    def test_two_gloo_processes_hold_the_same_weights_and_only_rank_0_writes(self):
        with tempfile.TemporaryDirectory() as tmp:
            write_classes_json(Path(tmp) / "camvid")
            mp.spawn(_rank, args=(tmp, _free_port()), nprocs=2, join=True)
            ranks = [torch.load(Path(tmp) / f"rank{r}.pt") for r in range(2)]
            stage = Path(tmp) / "run" / f"fcn{STRIDE}s"
            last = torch.load(stage / "last.pt")
            history = json.loads((stage / "history.json").read_text())
        torch.manual_seed(CFG["seed"] + STRIDE)
        initial = from_config(CFG, STRIDE).state_dict()
        for name, value in ranks[0]["weights"].items():
            self.assertTrue(torch.equal(value, ranks[1]["weights"][name]), f"ranks differ in {name}")
            self.assertTrue(torch.equal(value, last["model"][name]), f"last.pt is not rank 0's {name}")
        self.assertFalse(torch.equal(initial["score_fr.weight"], last["model"]["score_fr.weight"]))  # it trained
        self.assertEqual(ranks[1]["saved"], [])  # rank 1 wrote nothing
        self.assertEqual(ranks[0]["saved"].count("last.pt"), 3)  # one per epoch, across the resume
        self.assertIn("best.pt", ranks[0]["saved"])
        self.assertEqual(last["epoch"], 3)
        self.assertEqual([r["epoch"] for r in history], [1, 2, 3])  # the resumed run went on from 2
        self.assertIn("val", history[-1]["scores"])  # rank 0 scored every epoch
        # Five frames over two ranks of batch 2: three per rank, two steps each per epoch.
        steps = {float(s["step"]) for s in last["optimizer"]["state"].values()}
        self.assertEqual(steps, {6.0})


if __name__ == "__main__":
    unittest.main()
