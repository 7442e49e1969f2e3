/**
 * Bilinear resampling with half-pixel centres (PyTorch `interpolate(mode="bilinear",
 * align_corners=False)`, OpenCV INTER_LINEAR), the resize the models were trained with.
 */

interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float32Array;
}

function taps(inSize: number, outSize: number): Taps {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = Math.max(0, (i + 0.5) * scale - 0.5);
    const l = Math.min(Math.floor(src), inSize - 1);
    lo[i] = l;
    hi[i] = Math.min(l + 1, inSize - 1);
    frac[i] = src - l;
  }
  return { lo, hi, frac };
}

/**
 * Resize interleaved 8-bit pixels (`channels` per pixel; the first three are RGB) to
 * planar float RGB: output shape (3, outHeight, outWidth), values 0..255.
 */
export function resizeBilinearToPlanar(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
): Float32Array {
  const xs = taps(width, outWidth);
  const ys = taps(height, outHeight);
  const plane = outWidth * outHeight;
  const out = new Float32Array(3 * plane);
  const stride = width * channels;
  for (let y = 0; y < outHeight; y++) {
    const r0 = ys.lo[y] * stride;
    const r1 = ys.hi[y] * stride;
    const fy = ys.frac[y];
    for (let x = 0; x < outWidth; x++) {
      const c0 = xs.lo[x] * channels;
      const c1 = xs.hi[x] * channels;
      const fx = xs.frac[x];
      const o = y * outWidth + x;
      for (let c = 0; c < 3; c++) {
        const top = pixels[r0 + c0 + c] + (pixels[r0 + c1 + c] - pixels[r0 + c0 + c]) * fx;
        const bottom = pixels[r1 + c0 + c] + (pixels[r1 + c1 + c] - pixels[r1 + c0 + c]) * fx;
        out[c * plane + o] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

/** Nearest-neighbour resize of a label map (class ids must never be blended). */
export function resizeLabelsNearest(
  labels: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  if (width === outWidth && height === outHeight) return labels;
  const out = new Uint8Array(outWidth * outHeight);
  const xmap = new Int32Array(outWidth);
  for (let x = 0; x < outWidth; x++)
    xmap[x] = Math.min(width - 1, Math.floor(((x + 0.5) * width) / outWidth));
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outHeight));
    const row = sy * width;
    const o = y * outWidth;
    for (let x = 0; x < outWidth; x++) out[o + x] = labels[row + xmap[x]];
  }
  return out;
}
