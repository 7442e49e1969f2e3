"""The backbone comparison helper on tiny nets: specs, rows and the timed training step."""

import unittest

import torch

from fcn.compare import compare, parse_spec, precision_step_seconds, train_step_seconds
from fcn.fcn import fcn8s, fcn32s


class CompareTest(unittest.TestCase):
    def test_a_spec_may_carry_its_own_width(self):
        self.assertEqual(parse_spec("alexnet", 0.25), ("alexnet", 0.25))
        self.assertEqual(parse_spec("inception=0.5", 0.25), ("inception", 0.5))

    def test_rows_count_parameters_and_macs_of_each_backbone(self):
        rows = compare([("vgg16", 1 / 16), ("inception", 1 / 16)], steps=0, warmup=0, batch=1, crop=32, bf16=False)
        self.assertEqual([r["backbone"] for r in rows], ["vgg16", "inception"])
        for r in rows:
            self.assertGreater(r["params"], 0)
            self.assertGreater(r["macs_480x360"], 0)
            self.assertNotIn("step_seconds", r)

    def test_a_timed_step_trains_the_net(self):
        torch.manual_seed(0)
        net = fcn32s(backbone="inception", width=1 / 16, fc_channels=64, dropout=0.0)
        before = net.score_fr.weight.detach().clone()
        times = train_step_seconds(net, batch=2, crop=32, steps=2, warmup=1)
        self.assertEqual(len(times), 2)
        self.assertTrue(all(t > 0 for t in times))
        self.assertFalse(torch.equal(before, net.score_fr.weight))

    def test_precisions_are_timed_side_by_side_on_twin_nets(self):
        torch.manual_seed(0)
        net = fcn8s(backbone="vgg16", width=1 / 16, fc_channels=32, dropout=0.0)
        r = precision_step_seconds(net, batch=2, crop=64, steps=2, warmup=1)
        self.assertEqual((len(r["fp32"]), len(r["bf16"])), (2, 2))
        self.assertGreater(r["speedup"], 0)


if __name__ == "__main__":
    unittest.main()
