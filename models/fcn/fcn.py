"""Fully Convolutional Networks (Long, Shelhamer & Darrell): FCN-32s, FCN-16s, FCN-8s.

Shapes (N batch, C classes, H x W any input size down to 1x1):
    image (N, 3, H, W) -> backbone taps pool3 (stride 8), pool4 (stride 16), fc7 (stride 32)
    -> 1x1 scores -> 2x learned deconvs + skip sums -> final bilinear deconv -> crop
    -> logits (N, C, H, W)

A backbone with a dilated last stage (``dilate_last``) has fc7 at stride 16, on pool4's grid:
FCN-32s then upsamples by 16, and FCN-16s adds the pool4 scores without the 2x deconv.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .backbones import BACKBONES, DILATABLE
from .surgery import IDENTITY, bilinear_weights, crop_offset, deconv_map

NUM_CLASSES = 11


def _deconv(channels: int, factor: int, trainable: bool) -> nn.ConvTranspose2d:
    """A per-class upsampling deconv initialised to bilinear interpolation."""
    layer = nn.ConvTranspose2d(channels, channels, 2 * factor, stride=factor, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(bilinear_weights(channels, 2 * factor)))
    layer.weight.requires_grad_(trainable)
    return layer


def _score(cin: int, classes: int, zero: bool) -> nn.Conv2d:
    layer = nn.Conv2d(cin, classes, 1)
    if zero:  # skip scores start at zero so the finer net starts as its coarser parent
        nn.init.zeros_(layer.weight)
        nn.init.zeros_(layer.bias)
    return layer


def _crop(x: torch.Tensor, offset: int, like: torch.Tensor) -> torch.Tensor:
    return x[:, :, offset : offset + like.shape[2], offset : offset + like.shape[3]]


class FCN(nn.Module):
    """One class for the three variants; ``stride`` is 32, 16 or 8 (the finest skip used: FCN-32s
    uses none). Every upsampling factor and crop comes from the backbone's coordinate maps, so a
    backbone whose fc7 is at stride 16 gets the right ones."""

    def __init__(self, backbone: nn.Module, stride: int, num_classes: int = NUM_CLASSES):
        super().__init__()
        if stride not in (32, 16, 8):
            raise ValueError("stride must be 32, 16 or 8")
        self.backbone = backbone
        self.stride = stride
        self.num_classes = num_classes
        maps = backbone.coord_maps()
        c = num_classes
        self.score_fr = _score(backbone.out_channels, c, zero=False)
        if stride <= 16:
            self.score_pool4 = _score(backbone.pool4_channels, c, zero=True)
            if maps["fc7"].scale == maps["pool4"].scale:  # dilated: already on pool4's grid
                self.upscore2 = nn.Identity()
                self.crop_pool4 = crop_offset(maps["pool4"], maps["fc7"])
            else:
                self.upscore2 = _deconv(c, 2, trainable=True)
                self.crop_pool4 = crop_offset(maps["pool4"], maps["fc7"].then(deconv_map(4, 2)))
        if stride == 8:
            self.upscore_pool4 = _deconv(c, 2, trainable=True)
            self.score_pool3 = _score(backbone.pool3_channels, c, zero=True)
            self.crop_pool3 = crop_offset(maps["pool3"], maps["pool4"].then(deconv_map(4, 2)))
        finest = {32: "fc7", 16: "pool4", 8: "pool3"}[stride]
        # The last upsampling stays fixed bilinear, as in the paper; it undoes the finest
        # scores' stride (16, not 32, for FCN-32s on a dilated backbone).
        factor = int(maps[finest].scale)
        self.upscore = _deconv(c, factor, trainable=False)
        self.crop_final = crop_offset(IDENTITY, maps[finest].then(deconv_map(2 * factor, factor)))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        taps = self.backbone(image)
        score = self.score_fr(taps["fc7"])
        if self.stride <= 16:
            score_pool4 = self.score_pool4(taps["pool4"])
            score = _crop(self.upscore2(score), self.crop_pool4, score_pool4) + score_pool4
        if self.stride == 8:
            score_pool3 = self.score_pool3(taps["pool3"])
            score = _crop(self.upscore_pool4(score), self.crop_pool3, score_pool3) + score_pool3
        return _crop(self.upscore(score), self.crop_final, image)


def _build(stride: int, backbone: str, width: float, num_classes: int, fc_channels: int, dropout: float,
           dilate_last: bool) -> FCN:
    if not dilate_last:
        return FCN(BACKBONES[backbone](width=width, fc_channels=fc_channels, dropout=dropout), stride, num_classes)
    if backbone not in DILATABLE:
        raise ValueError(f"dilate_last needs a ResNet backbone ({', '.join(DILATABLE)}), not {backbone}")
    net = BACKBONES[backbone](width=width, fc_channels=fc_channels, dropout=dropout, dilate_last=True)
    return FCN(net, stride, num_classes)


def fcn32s(backbone: str = "vgg16", width: float = 1.0, num_classes: int = NUM_CLASSES,
           fc_channels: int = 4096, dropout: float = 0.5, dilate_last: bool = False) -> FCN:
    """FCN-32s: fc7 scores upsampled 32x (16x with ``dilate_last``) in one bilinear step."""
    return _build(32, backbone, width, num_classes, fc_channels, dropout, dilate_last)


def fcn16s(backbone: str = "vgg16", width: float = 1.0, num_classes: int = NUM_CLASSES,
           fc_channels: int = 4096, dropout: float = 0.5, dilate_last: bool = False) -> FCN:
    """FCN-16s: fc7 scores upsampled 2x (not at all with ``dilate_last``), plus pool4 scores,
    then 16x."""
    return _build(16, backbone, width, num_classes, fc_channels, dropout, dilate_last)


def fcn8s(backbone: str = "vgg16", width: float = 1.0, num_classes: int = NUM_CLASSES,
          fc_channels: int = 4096, dropout: float = 0.5, dilate_last: bool = False) -> FCN:
    """FCN-8s: as FCN-16s, then 2x, plus pool3 scores, then 8x."""
    return _build(8, backbone, width, num_classes, fc_channels, dropout, dilate_last)


BUILDERS = {32: fcn32s, 16: fcn16s, 8: fcn8s}


def from_config(cfg: dict, stride: int) -> FCN:
    """The net a checkpoint's ``config`` describes, at ``stride``: one builder for training
    (new nets, resumed runs, teachers) and export, so a checkpoint always loads into the
    net it was trained as (checkpoints from before ``dilate_last`` are undilated)."""
    return BUILDERS[stride](backbone=cfg["backbone"], width=cfg["width"], fc_channels=cfg["fc_channels"],
                            dropout=cfg["dropout"], dilate_last=cfg.get("dilate_last", False))


def init_from_coarser(fine: FCN, coarse: FCN) -> FCN:
    """Staged training: copy every parameter the coarser net has (backbone, score_fr, and the
    skips it already learned) into the finer one; new skip scores stay zero. Both must have the
    same taps: a dilated and an undilated net share every weight's shape, not its function."""
    if fine.backbone.coord_maps() != coarse.backbone.coord_maps():
        raise ValueError("the coarser net's taps differ from the finer net's (dilate_last must match)")
    own = fine.state_dict()
    copied = {k: v for k, v in coarse.state_dict().items() if k in own and own[k].shape == v.shape}
    # The coarse net's final deconv is a different size; never copy fixed upsamplers.
    copied = {k: v for k, v in copied.items() if not k.startswith("upscore.")}
    own.update(copied)
    fine.load_state_dict(own)
    return fine


def fuse_batchnorm(model: FCN) -> FCN:
    """Fold every BatchNorm into the convolution before it (for export and int8)."""
    for module in model.modules():
        if isinstance(module, nn.Sequential) and len(module) >= 2 and isinstance(module[0], nn.Conv2d) \
                and isinstance(module[1], nn.BatchNorm2d):
            conv, bn = module[0], module[1]
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                              conv.padding, conv.dilation, bias=True)
            with torch.no_grad():
                fused.weight.copy_(conv.weight * scale[:, None, None, None])
                bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
                fused.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
            module[0] = fused
            module[1] = nn.Identity()
    return model


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: FCN, height: int = 360, width: int = 480) -> int:
    """Multiply-accumulates of one forward pass (convs and deconvs), measured with hooks."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            total += output.numel() * k
        elif isinstance(module, nn.ConvTranspose2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.out_channels
            total += inputs[0].numel() * k

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, height, width))
    for h in handles:
        h.remove()
    return total
