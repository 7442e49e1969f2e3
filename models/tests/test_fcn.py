"""The FCN family on tiny shapes: sizes, staged initialisation, batch-norm folding, training step."""

import unittest

import numpy as np
import torch

from fcn.backbones import BACKBONES, BasicBlock, ResNetBackbone
from fcn.fcn import BUILDERS, fcn8s, fcn16s, fcn32s, fuse_batchnorm, init_from_coarser
from fcn.metrics import confusion, scores

TINY = dict(width=1 / 16, fc_channels=256, dropout=0.0)


class OutputSizeTest(unittest.TestCase):
    def test_output_equals_input_size_for_odd_and_even_sizes(self):
        torch.manual_seed(0)
        for backbone in BACKBONES:
            for stride, build in BUILDERS.items():
                net = build(backbone=backbone, **TINY).eval()
                for h, w in [(1, 1), (2, 3), (37, 211), (33, 65), (375, 500), (360, 480)]:
                    with torch.no_grad():
                        y = net(torch.zeros(1, 3, h, w))
                    self.assertEqual(tuple(y.shape), (1, 11, h, w), f"{backbone} {stride}s {h}x{w}")


class StagedTrainingTest(unittest.TestCase):
    def test_finer_net_starts_as_its_coarser_parent(self):
        torch.manual_seed(0)
        coarse = fcn32s(**TINY).eval()
        fine = init_from_coarser(fcn16s(**TINY), coarse).eval()
        x = torch.randn(1, 3, 64, 96)
        with torch.no_grad():
            a, b = coarse(x), fine(x)
        # Skip scores start at zero; two bilinear steps differ from one only at the borders.
        torch.testing.assert_close(a[:, :, 24:-24, 24:-24], b[:, :, 24:-24, 24:-24], atol=1e-4, rtol=1e-3)
        finer = init_from_coarser(fcn8s(**TINY), fine)
        self.assertTrue(torch.equal(finer.score_pool4.weight, fine.score_pool4.weight))
        self.assertEqual(float(finer.score_pool3.weight.abs().sum()), 0.0)

    def test_last_upsampling_is_fixed_and_skips_learn(self):
        net = fcn8s(**TINY)
        self.assertFalse(net.upscore.weight.requires_grad)
        self.assertTrue(net.upscore2.weight.requires_grad)

    def test_staged_init_works_for_every_backbone(self):
        for backbone in BACKBONES:
            torch.manual_seed(0)
            coarse = fcn16s(backbone=backbone, **TINY)
            fine = init_from_coarser(fcn8s(backbone=backbone, **TINY), coarse)
            for name, value in coarse.state_dict().items():
                if name.startswith("backbone.") or name.startswith("score_"):
                    self.assertTrue(torch.equal(fine.state_dict()[name], value), f"{backbone} {name}")
            self.assertEqual(float(fine.score_pool3.weight.abs().sum()), 0.0)

    def test_fused_batchnorm_is_the_same_function(self):
        for backbone in BACKBONES:
            torch.manual_seed(0)
            net = fcn8s(backbone=backbone, **TINY)
            net.train()
            for _ in range(2):  # give batch norm non-trivial running statistics
                net(torch.randn(2, 3, 64, 64))
            net.eval()
            x = torch.randn(1, 3, 45, 61)
            with torch.no_grad():
                before = net(x)
                after = fuse_batchnorm(net)(x)
            torch.testing.assert_close(before, after, atol=1e-4, rtol=1e-4, msg=backbone)
            self.assertFalse(any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()), backbone)

    def test_one_training_step_lowers_the_loss_on_a_fixed_batch(self):
        torch.manual_seed(0)
        net = fcn8s(**TINY)
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        x, y = torch.randn(2, 3, 32, 32), torch.randint(0, 11, (2, 32, 32))
        y[:, :4] = 11  # void is ignored
        losses = []
        for _ in range(5):
            loss = torch.nn.functional.cross_entropy(net(x), y, ignore_index=11)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        self.assertLess(losses[-1], losses[0])


class ResNetBackboneTest(unittest.TestCase):
    def test_a_projection_shortcut_only_where_the_width_changes(self):
        # At 1/32 width stages 1 and 2 both clamp to 4 channels: no projection between them.
        for depth, width, projections in [(18, 1 / 16, 3), (34, 1 / 16, 3), (18, 1 / 32, 2)]:
            backbone = ResNetBackbone(width=width, fc_channels=64, depth=depth)
            blocks = [m for m in backbone.modules() if isinstance(m, BasicBlock)]
            self.assertEqual(len(blocks), sum(ResNetBackbone.LAYOUTS[depth]))
            for block in blocks:
                cin, cout = block.conv1[0].in_channels, block.conv2[0].out_channels
                projected = not isinstance(block.shortcut, torch.nn.Identity)
                self.assertEqual(projected, cin != cout, f"resnet{depth} {cin}->{cout}")
                if projected:
                    self.assertEqual(block.shortcut[0].kernel_size, (1, 1))
            self.assertEqual(sum(not isinstance(b.shortcut, torch.nn.Identity) for b in blocks), projections)

    def test_fuse_batchnorm_folds_every_batchnorm_of_the_resnet(self):
        torch.manual_seed(0)
        net = fcn8s(backbone="resnet18", **TINY)
        with torch.no_grad():  # statistics and affine terms far from the identity, so folding shows
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.normal_(0, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0, 0.2)
            for name, p in net.named_parameters():
                if name.startswith("score"):  # skip scores start at zero: let them count
                    p.normal_(0, 0.1)
        net.eval()
        blocks = [m for m in net.modules() if isinstance(m, BasicBlock)]
        norms = sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
        convs = sum(isinstance(m, torch.nn.Conv2d) for m in net.backbone.modules())
        self.assertEqual(norms, convs)  # BatchNorm after every backbone conv, shortcuts included
        x = torch.randn(1, 3, 53, 67)
        with torch.no_grad():
            before = net(x)
            after = fuse_batchnorm(net)(x)
        torch.testing.assert_close(before, after, atol=1e-4, rtol=1e-4)
        self.assertFalse(any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()))
        for block in blocks:  # the residual branch's last conv and the projection folded too
            self.assertIsNotNone(block.conv2[0].bias)
            self.assertIsInstance(block.conv2[1], torch.nn.Identity)
            if not isinstance(block.shortcut, torch.nn.Identity):
                self.assertIsInstance(block.shortcut[1], torch.nn.Identity)


class MetricsTest(unittest.TestCase):
    def test_matches_the_typescript_hand_computed_case(self):
        truth = np.array([0, 0, 0, 0, 1, 1, 2, 2, 11])
        pred = np.array([0, 0, 0, 1, 1, 1, 2, 0, 2])
        s = scores(confusion(pred, truth, 3))
        iu = [3 / 5, 2 / 3, 1 / 2]
        self.assertAlmostEqual(s["pixel_accuracy"], 6 / 8)
        self.assertAlmostEqual(s["mean_accuracy"], (3 / 4 + 1 + 1 / 2) / 3)
        self.assertAlmostEqual(s["mean_iu"], sum(iu) / 3)
        self.assertAlmostEqual(s["fw_iu"], (4 * iu[0] + 2 * iu[1] + 2 * iu[2]) / 8)


if __name__ == "__main__":
    unittest.main()
