"""FCN arithmetic as small pure helpers: bilinear kernels, coordinate maps, crop offsets.

These mirror ``surgery.py`` and ``coord_map.py`` of Shelhamer's fcn.berkeleyvision.org.
A *coordinate map* ``(scale, offset)`` says where a feature-map index ``i`` lands in input
pixel coordinates: ``x = scale * i + offset`` (pixel centres at integer coordinates).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def bilinear_kernel(size: int) -> np.ndarray:
    """2-D bilinear interpolation kernel of ``size`` x ``size`` (the paper's deconv filter)."""
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    og = np.ogrid[:size, :size]
    return ((1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)).astype(np.float32)


def bilinear_weights(channels: int, size: int) -> np.ndarray:
    """Weights ``(channels, channels, size, size)`` for a per-class (diagonal) bilinear deconv."""
    w = np.zeros((channels, channels, size, size), dtype=np.float32)
    k = bilinear_kernel(size)
    for c in range(channels):
        w[c, c] = k
    return w


@dataclass(frozen=True)
class CoordMap:
    """Affine map from a layer's index space to input pixel coordinates."""

    scale: float
    offset: float

    def then(self, layer: "CoordMap") -> "CoordMap":
        """Compose: ``self`` maps layer indices to input coordinates; ``layer`` maps the next
        layer's indices to this layer's indices."""
        return CoordMap(self.scale * layer.scale, self.scale * layer.offset + self.offset)


IDENTITY = CoordMap(1.0, 0.0)


def conv_map(kernel: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> CoordMap:
    """Coordinate map of a convolution or pooling window: output ``i`` is centred on input
    ``stride * i + dilation * (kernel - 1) / 2 - pad`` (a dilated window spans
    ``dilation * (kernel - 1) + 1`` inputs, so a "same" pad of ``dilation * (kernel - 1) / 2``
    moves no coordinate)."""
    return CoordMap(float(stride), dilation * (kernel - 1) / 2 - pad)


def deconv_map(kernel: int, stride: int, pad: int = 0) -> CoordMap:
    """Coordinate map of a transposed convolution, expressed as output -> input index: the
    inverse of the convolution with the same parameters."""
    fwd = conv_map(kernel, stride, pad)
    return CoordMap(1.0 / fwd.scale, -fwd.offset / fwd.scale)


def crop_offset(target: CoordMap, source: CoordMap) -> int:
    """Index offset to crop ``source`` so that its element ``offset + i`` sits over the same
    input coordinate as ``target``'s element ``i``. Both maps must share their scale; the
    offset must be a whole number of source elements (else the nets would be misaligned)."""
    if abs(target.scale - source.scale) > 1e-9:
        raise ValueError(f"scales differ: {target.scale} vs {source.scale}")
    delta = (target.offset - source.offset) / source.scale
    if abs(delta - round(delta)) > 1e-6 or round(delta) < 0:
        raise ValueError(f"cannot crop: offset {delta} is not a non-negative integer")
    return int(round(delta))
