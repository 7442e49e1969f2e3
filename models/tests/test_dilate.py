"""A ResNet with a dilated last stage (``dilate_last``, output stride 16) on tiny shapes: sizes,
the maps and crops, the staged initialisation, the checkpoint config, and the refusals."""

import contextlib
import io
import tempfile
import unittest
from pathlib import Path

import torch
import torch.nn.functional as F

from fcn.backbones import BACKBONES, DILATABLE, ResNetBackbone
from fcn.export import load_checkpoint
from fcn.fcn import BUILDERS, count_macs, fcn8s, fcn16s, fcn32s, from_config, fuse_batchnorm, init_from_coarser
from fcn.surgery import CoordMap, conv_map
from fcn.train import main, same_dilation

TINY = dict(width=1 / 16, fc_channels=64, dropout=0.0)
CFG = {"backbone": "resnet18", "width": TINY["width"], "fc_channels": TINY["fc_channels"], "dropout": 0.0}


def dilated(build, backbone: str = "resnet18"):
    return build(backbone=backbone, dilate_last=True, **TINY)


class DilatedMapsTest(unittest.TestCase):
    def test_a_dilated_same_conv_moves_no_coordinate(self):
        self.assertEqual(conv_map(3, 1, 2, dilation=2), CoordMap(1.0, 0.0))
        self.assertEqual(conv_map(3, 1, 1, dilation=2), CoordMap(1.0, 1.0))  # under-padded: shifted

    def test_fc7_takes_pool4s_map(self):
        maps = ResNetBackbone.coord_maps(dilate_last=True)
        self.assertEqual(maps["fc7"], CoordMap(16.0, 7.5))
        self.assertEqual(maps["pool4"], ResNetBackbone.coord_maps()["pool4"])
        for name in DILATABLE:  # the built net answers with its own maps, the class with the undilated
            self.assertEqual(BACKBONES[name](dilate_last=True, **TINY).coord_maps(), maps)
            self.assertEqual(BACKBONES[name](**TINY).coord_maps(), ResNetBackbone.coord_maps())

    def test_heads_upsample_by_the_coarsest_stride_and_crop_from_the_maps(self):
        net32, net16, net8 = dilated(fcn32s), dilated(fcn16s), dilated(fcn8s)
        self.assertEqual(net32.upscore.stride, (16, 16))
        self.assertEqual(net32.crop_final, 8)  # as FCN-16s's: the scores sit on pool4's grid
        self.assertIsInstance(net16.upscore2, torch.nn.Identity)  # fc7 and pool4 share a grid
        self.assertEqual(net16.crop_pool4, 0)
        self.assertEqual((net16.upscore.stride, net16.crop_final), ((16, 16), 8))
        self.assertEqual((net8.crop_pool3, net8.upscore.stride, net8.crop_final), (1, (8, 8), 4))


class DilatedOutputTest(unittest.TestCase):
    def test_output_equals_input_size_for_odd_and_even_sizes(self):
        torch.manual_seed(0)
        for backbone in DILATABLE:
            for stride, build in BUILDERS.items():
                net = dilated(build, backbone).eval()
                for h, w in [(1, 1), (2, 3), (33, 47), (64, 80)]:
                    with torch.no_grad():
                        y = net(torch.zeros(1, 3, h, w))
                    self.assertEqual(tuple(y.shape), (1, 11, h, w), f"{backbone} {stride}s {h}x{w}")

    def test_fc7_sits_at_stride_16_with_the_same_weights(self):
        plain, dil = fcn32s(backbone="resnet18", **TINY), dilated(fcn32s)
        self.assertEqual({k: v.shape for k, v in plain.state_dict().items() if not k.startswith("upscore.")},
                         {k: v.shape for k, v in dil.state_dict().items() if not k.startswith("upscore.")})
        with torch.no_grad():
            taps = dil.backbone.eval()(torch.zeros(1, 3, 33, 47))
        self.assertEqual(taps["fc7"].shape[2:], taps["pool4"].shape[2:])  # ceil(33/16) x ceil(47/16)
        self.assertEqual(tuple(taps["fc7"].shape[2:]), (3, 3))
        stage4 = [m for m in dil.backbone.stage4.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
        self.assertTrue(stage4 and all(m.dilation == (2, 2) and m.padding == (2, 2) for m in stage4))
        self.assertEqual(dil.backbone.fc.fc6[0].dilation, (2, 2))
        self.assertFalse(any(isinstance(m, torch.nn.MaxPool2d) for m in dil.backbone.stage4.modules()))

    def test_fcn32s_logits_are_fc7_scores_bilinearly_upsampled_from_their_centres(self):
        """The reference: fc7 cell i is centred on pixel 16i + 7.5, which is where half-pixel
        bilinear upsampling by 16 puts it; away from the clamped border the two agree."""
        torch.manual_seed(0)
        net = dilated(fcn32s).eval()
        x = torch.randn(1, 3, 96, 112)
        with torch.no_grad():
            logits = net(x)
            score = net.score_fr(net.backbone(x)["fc7"])
        ref = F.interpolate(score, scale_factor=16, mode="bilinear", align_corners=False)[:, :, :96, :112]
        m = 24  # beyond the last cell centre's half cell
        torch.testing.assert_close(logits[:, :, m:-m, m:-m], ref[:, :, m:-m, m:-m], atol=1e-4, rtol=1e-4)

    def test_the_crops_are_centred(self):
        """With mirror-symmetric weights and a size that is a multiple of 16, every cell of every
        tap is centred (16i + 7.5 maps onto itself mirrored), so a centred net commutes with a
        horizontal flip; a padding or crop off by one pixel breaks the symmetry."""
        torch.manual_seed(0)
        for build in BUILDERS.values():
            net = dilated(build).eval()
            with torch.no_grad():
                for m in net.modules():
                    if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                        m.weight.copy_((m.weight + m.weight.flip(-1)) / 2)
                x = torch.randn(1, 3, 48, 80)
                torch.testing.assert_close(net(x.flip(-1)), net(x).flip(-1), atol=1e-5, rtol=1e-4)
                net.crop_final -= 1  # the check sees a crop one pixel off
                self.assertFalse(torch.allclose(net(x.flip(-1)), net(x).flip(-1), atol=1e-3))

    def test_fused_batchnorm_keeps_the_dilation(self):
        torch.manual_seed(0)
        net = dilated(fcn8s).train()
        net(torch.randn(2, 3, 48, 48))  # non-trivial running statistics
        net.eval()
        x = torch.randn(1, 3, 45, 61)
        with torch.no_grad():
            before = net(x)
            after = fuse_batchnorm(net)(x)
        torch.testing.assert_close(before, after, atol=1e-4, rtol=1e-4)

    def test_macs_count_the_larger_last_stage(self):
        plain, dil = fcn32s(backbone="resnet18", **TINY), dilated(fcn32s)
        self.assertGreater(count_macs(dil, 64, 96), count_macs(plain, 64, 96))


class DilatedStagedTrainingTest(unittest.TestCase):
    def test_finer_net_starts_as_its_coarser_parent(self):
        torch.manual_seed(0)
        coarse = dilated(fcn32s).eval()
        fine = init_from_coarser(dilated(fcn16s), coarse).eval()
        finer = init_from_coarser(dilated(fcn8s), fine).eval()
        x = torch.randn(1, 3, 64, 96)
        with torch.no_grad():
            a, b, c = coarse(x), fine(x), finer(x)
        # FCN-16s adds zero pool4 scores on fc7's own grid and upsamples by 16 as FCN-32s does.
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
        # FCN-8s: a 2x and an 8x bilinear step differ from one 16x step at the borders, and inside
        # by an eighth of the scores' second difference at most (at fc7's cell centres: 3e-4 here).
        torch.testing.assert_close(b[:, :, 24:-24, 24:-24], c[:, :, 24:-24, 24:-24], atol=1e-3, rtol=1e-3)
        self.assertTrue(torch.equal(finer.score_pool4.weight, fine.score_pool4.weight))
        self.assertEqual(float(finer.score_pool3.weight.abs().sum()), 0.0)

    def test_a_dilated_and_an_undilated_net_do_not_mix(self):
        with self.assertRaises(ValueError):
            init_from_coarser(dilated(fcn16s), fcn32s(backbone="resnet18", **TINY))
        with self.assertRaises(ValueError):
            init_from_coarser(fcn16s(backbone="resnet18", **TINY), dilated(fcn32s))


class DilatedConfigTest(unittest.TestCase):
    def test_from_config_rebuilds_the_dilated_net(self):
        torch.manual_seed(0)
        for stride, build in BUILDERS.items():
            net = dilated(build).eval()
            again = from_config({**CFG, "dilate_last": True}, stride).eval()
            again.load_state_dict(net.state_dict())
            self.assertTrue(again.backbone.dilate_last)
            x = torch.randn(1, 3, 37, 53)
            with torch.no_grad():
                torch.testing.assert_close(net(x), again(x))

    def test_a_config_without_the_key_is_undilated(self):
        net = from_config(CFG, 32)
        self.assertFalse(net.backbone.dilate_last)
        self.assertEqual(net.upscore.stride, (32, 32))

    def test_only_resnets_dilate(self):
        self.assertEqual(DILATABLE, ["resnet18", "resnet34"])
        for backbone in ("vgg16", "alexnet", "inception", "vgg16-strided-stem"):
            with self.assertRaisesRegex(ValueError, "ResNet"):
                fcn32s(backbone=backbone, dilate_last=True, **TINY)
        with tempfile.TemporaryDirectory() as tmp, self.assertRaises(SystemExit), \
                contextlib.redirect_stderr(io.StringIO()) as err:
            main(["--backbone", "vgg16", "--dilate-last", "--out", tmp])  # refused before any data loads
        self.assertIn("--dilate-last needs a ResNet backbone", err.getvalue())

    def test_training_refuses_a_checkpoint_of_the_other_dilation(self):
        same_dilation({"config": CFG}, {**CFG, "dilate_last": False}, Path("old.pt"))  # old checkpoints: undilated
        same_dilation({"config": {**CFG, "dilate_last": True}}, {**CFG, "dilate_last": True}, Path("x.pt"))
        with self.assertRaisesRegex(ValueError, "dilate-last"):
            same_dilation({"config": CFG}, {**CFG, "dilate_last": True}, Path("fcn32s/best.pt"))

    def test_export_refuses_a_dilated_checkpoint(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "best.pt"
            torch.save({"model": dilated(fcn32s).state_dict(), "stride": 32, "config": {**CFG, "dilate_last": True}},
                       path)
            with self.assertRaisesRegex(ValueError, "dilated"):
                load_checkpoint(path)


if __name__ == "__main__":
    unittest.main()
