"""Classification backbones made fully convolutional.

Each backbone returns three feature taps and their coordinate maps: ``pool3`` (stride 8),
``pool4`` (stride 16) and ``fc7`` (stride 32, after the fully connected layers turned into
convolutions: fc6 as a 7x7 convolution, fc7 as a 1x1 convolution; stride 16 for a ResNet with
``dilate_last``). All windows are chosen so every tap's map has the form ``x = s*i + (s-1)/2``:
then every crop offset is a whole number.
"""

from __future__ import annotations

import functools
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .surgery import IDENTITY, CoordMap, conv_map

Taps = Dict[str, torch.Tensor]


def _conv_bn_relu(cin: int, cout: int, kernel: int, stride: int = 1, pad: int | None = None,
                  dilation: int = 1) -> nn.Sequential:
    pad = dilation * (kernel - 1) // 2 if pad is None else pad
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def _pool() -> nn.MaxPool2d:
    # ceil_mode so that any input size (down to 1x1) keeps at least one cell per level.
    return nn.MaxPool2d(2, 2, ceil_mode=True)


def _width(channels: int, mult: float) -> int:
    return max(4, int(round(channels * mult)))


class FullyConvHead(nn.Module):
    """fc6 (7x7 conv) and fc7 (1x1 conv) of the classifier, with dropout as in the paper."""

    def __init__(self, cin: int, cout: int, dropout: float, fc6_kernel: int = 7, fc6_dilation: int = 1):
        super().__init__()
        self.fc6 = _conv_bn_relu(cin, cout, fc6_kernel, dilation=fc6_dilation)
        self.drop6 = nn.Dropout2d(dropout)
        self.fc7 = _conv_bn_relu(cout, cout, 1)
        self.drop7 = nn.Dropout2d(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop7(self.fc7(self.drop6(self.fc6(x))))


class VGG16Backbone(nn.Module):
    """VGG16 layout (13 3x3 convs in 5 stages, 2x2 pooling) with a width multiplier.

    ``strided_stem`` (the edge variant): the first conv is 4x4 with stride 2 and pad 1 and
    the first pooling goes, so stage 1 runs at half resolution, a quarter of its cost. Output
    ``i`` of that conv is centred on input ``2i + 0.5``, exactly where the 2x2 pooling put it,
    so every coordinate map and crop stays the same.
    """

    STAGES: List[Tuple[int, int]] = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]

    def __init__(self, width: float = 1.0, fc_channels: int = 4096, dropout: float = 0.5,
                 strided_stem: bool = False):
        super().__init__()
        self.strided_stem = strided_stem
        cin = 3
        stages = []
        for level, (channels, depth) in enumerate(self.STAGES, start=1):
            cout = _width(channels, width)
            layers = []
            for i in range(depth):
                stem = strided_stem and level == 1 and i == 0
                layers.append(_conv_bn_relu(cin, cout, 4, stride=2, pad=1) if stem else _conv_bn_relu(cin, cout, 3))
                cin = cout
            if not (strided_stem and level == 1):
                layers.append(_pool())
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)
        self.pool3_channels = _width(256, width)
        self.pool4_channels = _width(512, width)
        self.out_channels = _width(fc_channels, width)
        self.fc = FullyConvHead(cin, self.out_channels, dropout)

    @staticmethod
    def coord_maps() -> Dict[str, CoordMap]:
        m = IDENTITY
        maps = {}
        for level in range(1, 6):
            m = m.then(conv_map(2, 2))  # 3x3 pad-1 convs keep coordinates; each pool halves
            maps[f"pool{level}"] = m
        return {"pool3": maps["pool3"], "pool4": maps["pool4"], "fc7": maps["pool5"]}

    def forward(self, x: torch.Tensor) -> Taps:
        if self.strided_stem:
            # Pad odd sizes by one zero row/column at the bottom/right: the strided conv then
            # makes as many cells as the ceil-mode pooling it replaces (and >= 1 for 1x1).
            x = F.pad(x, (0, x.shape[3] % 2, 0, x.shape[2] % 2))
        taps = {}
        for level, stage in enumerate(self.stages, start=1):
            x = stage(x)
            taps[f"pool{level}"] = x
        return {"pool3": taps["pool3"], "pool4": taps["pool4"], "fc7": self.fc(x)}


class AlexNetBackbone(nn.Module):
    """AlexNet layout (5 convs, the first strided by 4) with a width multiplier.

    Differences from AlexNet, for exact alignment: conv1 is 8x8/4 (not 11x11/4) and the
    pools are 2x2/2 (not 3x3/2), so the taps at strides 8/16/32 need only whole-cell crops.
    """

    def __init__(self, width: float = 1.0, fc_channels: int = 4096, dropout: float = 0.5):
        super().__init__()
        c1, c2, c3, c4, c5 = (_width(c, width) for c in (96, 256, 384, 384, 256))
        self.conv1 = nn.Sequential(_conv_bn_relu(3, c1, 8, stride=4, pad=2), _pool())  # stride 8
        self.conv2 = nn.Sequential(_conv_bn_relu(c1, c2, 5), _pool())  # stride 16
        self.conv345 = nn.Sequential(
            _conv_bn_relu(c2, c3, 3), _conv_bn_relu(c3, c4, 3), _conv_bn_relu(c4, c5, 3), _pool()
        )  # stride 32
        self.pool3_channels = c1
        self.pool4_channels = c2
        self.out_channels = _width(fc_channels, width)
        self.fc = FullyConvHead(c5, self.out_channels, dropout)

    @staticmethod
    def coord_maps() -> Dict[str, CoordMap]:
        pool1 = IDENTITY.then(conv_map(8, 4, 2)).then(conv_map(2, 2))
        pool2 = pool1.then(conv_map(2, 2))
        pool5 = pool2.then(conv_map(2, 2))
        return {"pool3": pool1, "pool4": pool2, "fc7": pool5}

    def forward(self, x: torch.Tensor) -> Taps:
        # The 8x8/4 stem needs 4 input pixels; pad tiny inputs at the bottom/right only, which
        # moves no coordinate (the head crops back to the input size).
        x = F.pad(x, (0, max(0, 4 - x.shape[3]), 0, max(0, 4 - x.shape[2])))
        p1 = self.conv1(x)
        p2 = self.conv2(p1)
        p5 = self.conv345(p2)
        return {"pool3": p1, "pool4": p2, "fc7": self.fc(p5)}


class VGG16StridedStemBackbone(VGG16Backbone):
    """The VGG16 layout with the strided stem (see ``VGG16Backbone``), for the edge."""

    def __init__(self, width: float = 1.0, fc_channels: int = 4096, dropout: float = 0.5):
        super().__init__(width, fc_channels, dropout, strided_stem=True)


class InceptionModule(nn.Module):
    """GoogLeNet's inception module with BatchNorm and the 5x5 branch factorised into two 3x3
    convs (as in BN-Inception): 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3 | 3x3 max pool -> 1x1,
    concatenated. Every branch is "same"-padded at stride 1, so the module moves no coordinate.
    """

    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pool_proj: int):
        super().__init__()
        self.branch1x1 = _conv_bn_relu(cin, c1, 1)
        self.branch3x3 = nn.Sequential(_conv_bn_relu(cin, c3r, 1), _conv_bn_relu(c3r, c3, 3))
        self.branch5x5 = nn.Sequential(_conv_bn_relu(cin, c5r, 1), _conv_bn_relu(c5r, c5, 3),
                                       _conv_bn_relu(c5, c5, 3))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), _conv_bn_relu(cin, pool_proj, 1))
        self.out_channels = c1 + c3 + c5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1x1(x), self.branch3x3(x), self.branch5x5(x), self.branch_pool(x)], 1)


class InceptionBackbone(nn.Module):
    """GoogLeNet layout (Szegedy et al., 2015) with BatchNorm and a width multiplier.

    Stem: 3x3 conv, pool, 3x3 conv, pool, 1x1 and 3x3 convs, pool (stride 8); inception 3a-3b
    (the stride-8 tap), pool, 4a-4e (stride 16), pool, 5a-5b (stride 32), then fc6/fc7.
    Differences from GoogLeNet, for exact alignment: the 7x7/2 conv and the 3x3/2 poolings
    become "same" 3x3 convs and 2x2/2 ceil-mode pools, as in the VGG16 layout, so every tap has
    the VGG16 tap's coordinate map; the 5x5 branches are two 3x3 convs; fc6/fc7 replace the
    average pooling and the classifier, like the other backbones.
    """

    # GoogLeNet's Table 1: (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) per module.
    STAGE3 = [(64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64)]
    STAGE4 = [(192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
              (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128)]
    STAGE5 = [(256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128)]

    def __init__(self, width: float = 1.0, fc_channels: int = 4096, dropout: float = 0.5):
        super().__init__()
        c1, c2, c3 = (_width(c, width) for c in (64, 64, 192))
        self.stem = nn.Sequential(
            _conv_bn_relu(3, c1, 3), _pool(),                                 # stride 2
            _conv_bn_relu(c1, c2, 3), _pool(),                                # stride 4
            _conv_bn_relu(c2, c2, 1), _conv_bn_relu(c2, c3, 3), _pool(),      # stride 8
        )
        cin = c3
        stages = []
        for level, spec in enumerate((self.STAGE3, self.STAGE4, self.STAGE5)):
            modules: List[nn.Module] = [_pool()] if level > 0 else []
            for channels in spec:
                module = InceptionModule(cin, *(_width(c, width) for c in channels))
                modules.append(module)
                cin = module.out_channels
            stages.append(nn.Sequential(*modules))
            if level == 0:
                self.pool3_channels = cin
            elif level == 1:
                self.pool4_channels = cin
        self.stage3, self.stage4, self.stage5 = stages
        self.out_channels = _width(fc_channels, width)
        self.fc = FullyConvHead(cin, self.out_channels, dropout)

    @staticmethod
    def coord_maps() -> Dict[str, CoordMap]:
        # "Same" convs and the stride-1 pool branch keep coordinates; each 2x2 pool halves.
        pool = conv_map(2, 2)
        stride8 = IDENTITY.then(pool).then(pool).then(pool)
        stride16 = stride8.then(pool)
        return {"pool3": stride8, "pool4": stride16, "fc7": stride16.then(pool)}

    def forward(self, x: torch.Tensor) -> Taps:
        s8 = self.stage3(self.stem(x))
        s16 = self.stage4(s8)
        return {"pool3": s8, "pool4": s16, "fc7": self.fc(self.stage5(s16))}


def _conv_bn(cin: int, cout: int, kernel: int, dilation: int = 1) -> nn.Sequential:
    """Conv and BatchNorm without the ReLU (the last conv of a residual branch, a projection);
    a Sequential so that ``fuse_batchnorm`` folds it like the others."""
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation,
                                   bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    """ResNet's basic block: two 3x3 conv-BN, the input added back (through a 1x1 conv-BN
    when the width changes), then ReLU. Stride 1 and "same" padding (dilated or not): it moves
    no coordinate."""

    def __init__(self, cin: int, cout: int, dilation: int = 1):
        super().__init__()
        self.conv1 = _conv_bn_relu(cin, cout, 3, dilation=dilation)
        self.conv2 = _conv_bn(cout, cout, 3, dilation=dilation)
        self.shortcut = _conv_bn(cin, cout, 1) if cin != cout else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


class ResNetBackbone(nn.Module):
    """ResNet layout (He et al., 2016: basic blocks, BatchNorm everywhere) with a width
    multiplier, built to train from scratch; ``blocks`` gives ResNet-18 (2, 2, 2, 2) or
    ResNet-34 (3, 4, 6, 3).

    Stem: two 3x3 convs, each followed by a 2x2 pool (stride 4); then stages of basic blocks at
    64, 128, 256 and 512 channels, a 2x2 pool before each stage after the first. Taps: stage 2
    (stride 8), stage 3 (stride 16), fc7 after stage 4 (stride 32). Differences from ResNet, for
    exact alignment: the 7x7/2 conv, the 3x3/2 pool and the strided convs become "same" 3x3
    convs and 2x2/2 ceil-mode pools, so every tap has the VGG16 tap's coordinate map; fc6 is a
    3x3 conv (as in torchvision's FCN head) where VGG16's is 7x7: the residual stages already
    see far, and 3x3 is a fifth of the cost.

    ``dilate_last`` (output stride 16, as torchvision's and DeepLab's segmentation nets have):
    no pool before stage 4, whose 3x3 convs and fc6 are dilated by 2 instead ("same" padding),
    so each sees the same neighbourhood as before at twice the resolution: the same parameters
    at four times stage 4's and fc6/fc7's cost. fc7 then sits on pool4's grid.
    """

    LAYOUTS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}
    CHANNELS = (64, 128, 256, 512)

    def __init__(self, width: float = 1.0, fc_channels: int = 4096, dropout: float = 0.5, depth: int = 18,
                 dilate_last: bool = False):
        super().__init__()
        self.dilate_last = dilate_last
        c = [_width(ch, width) for ch in self.CHANNELS]
        self.stem = nn.Sequential(_conv_bn_relu(3, c[0], 3), _pool(), _conv_bn_relu(c[0], c[0], 3), _pool())
        stages, cin = [], c[0]
        for level, (cout, count) in enumerate(zip(c, self.LAYOUTS[depth])):
            dilated = dilate_last and level == 3
            # Dilated, an Identity holds the pool's place: the blocks keep their names, so the
            # two nets' weights load into each other.
            blocks: List[nn.Module] = [nn.Identity() if dilated else _pool()] if level > 0 else []
            for _ in range(count):
                blocks.append(BasicBlock(cin, cout, dilation=2 if dilated else 1))
                cin = cout
            stages.append(nn.Sequential(*blocks))
        self.stage1, self.stage2, self.stage3, self.stage4 = stages
        self.pool3_channels, self.pool4_channels = c[1], c[2]
        self.out_channels = _width(fc_channels, width)
        self.fc = FullyConvHead(cin, self.out_channels, dropout, fc6_kernel=3, fc6_dilation=2 if dilate_last else 1)
        if dilate_last:  # this net's maps, where the class's (shared by every instance) are undilated
            self.coord_maps = functools.partial(ResNetBackbone.coord_maps, dilate_last=True)

    @staticmethod
    def coord_maps(dilate_last: bool = False) -> Dict[str, CoordMap]:
        """VGG16's maps (same pools, same "same" convs); dilated, fc7 keeps pool4's map: the
        pool is gone and a dilated "same" conv moves no coordinate."""
        maps = VGG16Backbone.coord_maps()
        if dilate_last:
            maps["fc7"] = maps["pool4"].then(conv_map(3, 1, 2, dilation=2))
        return maps

    def forward(self, x: torch.Tensor) -> Taps:
        s8 = self.stage2(self.stage1(self.stem(x)))
        s16 = self.stage3(s8)
        return {"pool3": s8, "pool4": s16, "fc7": self.fc(self.stage4(s16))}


class ResNet34Backbone(ResNetBackbone):
    """The ResNet layout with ResNet-34's (3, 4, 6, 3) blocks."""

    def __init__(self, width: float = 1.0, fc_channels: int = 4096, dropout: float = 0.5, dilate_last: bool = False):
        super().__init__(width, fc_channels, dropout, depth=34, dilate_last=dilate_last)


BACKBONES = {"vgg16": VGG16Backbone, "vgg16-strided-stem": VGG16StridedStemBackbone, "alexnet": AlexNetBackbone,
             "inception": InceptionBackbone, "resnet18": ResNetBackbone, "resnet34": ResNet34Backbone}

# The backbones that take ``dilate_last`` (output stride 16).
DILATABLE = sorted(name for name, cls in BACKBONES.items() if issubclass(cls, ResNetBackbone))
