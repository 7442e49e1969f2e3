/**
 * The last layer of an FCN, computed outside the graph: the fixed bilinear "backwards
 * convolution" (a per-class transposed convolution with kernel 2f and stride f, initialised to
 * bilinear interpolation and never trained), followed by the crop that aligns it with the input.
 *
 * Why outside: in onnxruntime-web that one layer, its crop and copying the full-size logits out
 * of the wasm heap cost more than the whole interpolation in JS, and the edge tier only needs
 * the argmax. The 2-D kernel is the outer product of two 1-D kernels, so it runs as two 1-D
 * passes, each output sample mixing at most two coarse cells:
 *
 *   coarse  float32 (C, ch, cw)   scores at stride f (the graph's "coarse" output)
 *   logits  float32 (C, h, w)     out[y] = sum_j coarse[j] * k(y + crop - j*f),
 *                                 k(t) = 1 - |t - (f - 0.5)| / f for 0 <= t < 2f, else 0
 *
 * Cells outside the coarse map contribute zero, exactly like the deconvolution (no clamping).
 */

/** The final upsampling layer of a model whose graph stops at its "coarse" output. */
export interface BilinearDeconv {
  /** stride of the transposed convolution (its kernel is 2 * factor) */
  factor: number;
  /** pixels cropped from the top and left of the deconvolution's output */
  crop: number;
}

/** For one axis: each output index's two coarse cells and their weights (0 outside the map). */
export interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  wLo: Float32Array;
  wHi: Float32Array;
}

/** The 1-D bilinear deconvolution taps for `outLength` outputs from `coarseLength` cells. */
export function deconvTaps(coarseLength: number, outLength: number, { factor, crop }: BilinearDeconv): Taps {
  const taps: Taps = {
    lo: new Int32Array(outLength),
    hi: new Int32Array(outLength),
    wLo: new Float32Array(outLength),
    wHi: new Float32Array(outLength),
  };
  for (let y = 0; y < outLength; y++) {
    const t = y + crop;
    const hi = Math.floor(t / factor); // kernel position t - hi*f in [0, f): the rising half
    const lo = hi - 1; //                 t - lo*f in [f, 2f): the falling half
    const wHi = (t - hi * factor + 0.5) / factor;
    const inside = (j: number) => j >= 0 && j < coarseLength;
    // Out-of-map cells get weight 0 and a valid index, so the inner loops need no branches.
    taps.hi[y] = inside(hi) ? hi : 0;
    taps.lo[y] = inside(lo) ? lo : 0;
    taps.wHi[y] = inside(hi) ? wHi : 0;
    taps.wLo[y] = inside(lo) ? 1 - wHi : 0;
  }
  return taps;
}

export interface CoarseScores {
  data: Float32Array;
  classes: number;
  height: number;
  width: number;
}

/**
 * First pass: every coarse row interpolated to the output width, shape (C, ch, w); and the
 * vertical taps the second pass mixes those rows with.
 */
function horizontalPass(coarse: CoarseScores, width: number, height: number, layer: BilinearDeconv) {
  const x = deconvTaps(coarse.width, width, layer);
  const rows = new Float32Array(coarse.classes * coarse.height * width);
  for (let r = 0; r < coarse.classes * coarse.height; r++) {
    const src = r * coarse.width;
    const dst = r * width;
    for (let i = 0; i < width; i++) {
      rows[dst + i] = x.wLo[i] * coarse.data[src + x.lo[i]] + x.wHi[i] * coarse.data[src + x.hi[i]];
    }
  }
  return { rows, y: deconvTaps(coarse.height, height, layer) };
}

/** Full logits (C, height, width) from coarse scores: the layer's exact output. */
export function bilinearDeconv(
  coarse: CoarseScores,
  width: number,
  height: number,
  layer: BilinearDeconv,
): Float32Array {
  const { classes } = coarse;
  const { rows, y } = horizontalPass(coarse, width, height, layer);
  const out = new Float32Array(classes * height * width);
  for (let c = 0; c < classes; c++) {
    const plane = c * coarse.height * width;
    for (let j = 0; j < height; j++) {
      const a = plane + y.lo[j] * width;
      const b = plane + y.hi[j] * width;
      const wa = y.wLo[j];
      const wb = y.wHi[j];
      const dst = (c * height + j) * width;
      for (let i = 0; i < width; i++) out[dst + i] = wa * rows[a + i] + wb * rows[b + i];
    }
  }
  return out;
}

/**
 * Class ids (height, width) of the upsampled scores without materialising them: the argmax
 * is taken row by row as each row is interpolated. Ties go to the lower class, as in `argmax`.
 */
export function bilinearDeconvArgmax(
  coarse: CoarseScores,
  width: number,
  height: number,
  layer: BilinearDeconv,
): Uint8Array {
  const { classes } = coarse;
  const { rows, y } = horizontalPass(coarse, width, height, layer);
  const labels = new Uint8Array(width * height);
  const best = new Float32Array(width);
  const plane = coarse.height * width;
  for (let j = 0; j < height; j++) {
    const wa = y.wLo[j];
    const wb = y.wHi[j];
    const a = y.lo[j] * width;
    const b = y.hi[j] * width;
    const row = labels.subarray(j * width, (j + 1) * width);
    for (let i = 0; i < width; i++) best[i] = wa * rows[a + i] + wb * rows[b + i];
    for (let c = 1; c < classes; c++) {
      const ac = c * plane + a;
      const bc = c * plane + b;
      for (let i = 0; i < width; i++) {
        const v = Math.fround(wa * rows[ac + i] + wb * rows[bc + i]);
        if (v > best[i]) {
          best[i] = v;
          row[i] = c;
        }
      }
    }
  }
  return labels;
}
