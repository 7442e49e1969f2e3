"""The FCN arithmetic: bilinear kernels, coordinate maps, crop offsets, output sizes."""

import unittest

import numpy as np
import torch
import torch.nn.functional as F

from fcn.backbones import BACKBONES, AlexNetBackbone, InceptionBackbone, VGG16Backbone
from fcn.surgery import IDENTITY, CoordMap, bilinear_kernel, bilinear_weights, conv_map, crop_offset, deconv_map


class BilinearKernelTest(unittest.TestCase):
    def test_kernel_values(self):
        np.testing.assert_allclose(bilinear_kernel(4)[0], [0.0625, 0.1875, 0.1875, 0.0625])
        self.assertAlmostEqual(float(bilinear_kernel(3)[1, 1]), 1.0)

    def test_deconv_equals_bilinear_interpolation(self):
        """A stride-f deconv with the 2f kernel, cropped by f/2, is bilinear upsampling
        (half-pixel centres) everywhere the interpolation needs no border clamping."""
        torch.manual_seed(0)
        x = torch.randn(1, 2, 6, 7)
        for f in (2, 4, 8, 32):
            w = torch.from_numpy(bilinear_weights(2, 2 * f))
            up = F.conv_transpose2d(x, w, stride=f)
            # input cell i is centred on output pixel f*i + (f-1)/2 (half-pixel convention)
            off = crop_offset(IDENTITY, CoordMap(f, (f - 1) / 2).then(deconv_map(2 * f, f)))
            self.assertEqual(off, f // 2)
            up = up[:, :, off : off + 6 * f, off : off + 7 * f]
            ref = F.interpolate(x, scale_factor=f, mode="bilinear", align_corners=False)
            m = f // 2 + f  # away from the clamped border
            torch.testing.assert_close(up[:, :, m:-m, m:-m], ref[:, :, m:-m, m:-m], atol=1e-5, rtol=0)


class CoordMapTest(unittest.TestCase):
    def test_pool_and_conv_maps(self):
        self.assertEqual(conv_map(3, 1, 1), CoordMap(1.0, 0.0))  # 'same' 3x3 keeps coordinates
        self.assertEqual(conv_map(2, 2), CoordMap(2.0, 0.5))
        self.assertEqual(VGG16Backbone.coord_maps()["fc7"], CoordMap(32.0, 15.5))
        self.assertEqual(AlexNetBackbone.coord_maps()["pool4"], CoordMap(16.0, 7.5))
        self.assertEqual(InceptionBackbone.coord_maps(), VGG16Backbone.coord_maps())

    def test_every_backbone_tap_is_centred_on_its_cells(self):
        """The backbones.py rule: the tap at stride s maps i to s*i + (s-1)/2."""
        for name, backbone in BACKBONES.items():
            for tap, stride in (("pool3", 8), ("pool4", 16), ("fc7", 32)):
                self.assertEqual(backbone.coord_maps()[tap], CoordMap(stride, (stride - 1) / 2), f"{name} {tap}")

    def test_crop_offsets_of_the_fcn_skips(self):
        maps = VGG16Backbone.coord_maps()
        self.assertEqual(crop_offset(IDENTITY, maps["fc7"].then(deconv_map(64, 32))), 16)
        self.assertEqual(crop_offset(maps["pool4"], maps["fc7"].then(deconv_map(4, 2))), 1)
        self.assertEqual(crop_offset(maps["pool3"], maps["pool4"].then(deconv_map(4, 2))), 1)
        self.assertEqual(crop_offset(IDENTITY, maps["pool3"].then(deconv_map(16, 8))), 4)

    def test_misaligned_crops_are_refused(self):
        with self.assertRaises(ValueError):
            crop_offset(IDENTITY, CoordMap(1.0, 0.5))
        with self.assertRaises(ValueError):
            crop_offset(CoordMap(2.0, 0), CoordMap(1.0, 0))


if __name__ == "__main__":
    unittest.main()
