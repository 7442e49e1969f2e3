/**
 * Bilinear resampling with half-pixel centres (PyTorch `interpolate(mode="bilinear",
 * align_corners=False)`, OpenCV INTER_LINEAR), the resize the models were trained with.
 */
import { type Orientation, orientedSize, storedIndex } from "./exif.ts";

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
 *
 * `pixels` is (height, width, channels) as stored; with an EXIF `orientation` the output is
 * the resize of the image as displayed (width and height swapped for 5..8). Reading the
 * displayed pixels through their stored positions computes exactly what rotating first and
 * resizing after would (same pixels, same weights, same order), without the full-size copy.
 */
export function resizeBilinearToPlanar(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  orientation: Orientation = 1,
): Float32Array {
  const [shownWidth, shownHeight] = orientedSize(width, height, orientation);
  const xs = taps(shownWidth, outWidth);
  const ys = taps(shownHeight, outHeight);
  // Offset of displayed (x, y) in `pixels` = column[x] + row[y], for the two taps of each axis.
  const { base, dx, dy } = storedIndex(width, height, orientation);
  const column = (x: Int32Array) => x.map((i) => (base + i * dx) * channels);
  const row = (y: Int32Array) => y.map((i) => i * dy * channels);
  const [c0s, c1s, r0s, r1s] = [column(xs.lo), column(xs.hi), row(ys.lo), row(ys.hi)];
  const plane = outWidth * outHeight;
  const out = new Float32Array(3 * plane);
  if (outWidth === shownWidth && outHeight === shownHeight) {
    // Same size (the GPU tier runs at the image's own size): every weight is 0, so each output
    // is its pixel, exactly what the loop below computes, at a fraction of the time.
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        const p = r0s[y] + c0s[x];
        const o = y * outWidth + x;
        out[o] = pixels[p];
        out[plane + o] = pixels[p + 1];
        out[2 * plane + o] = pixels[p + 2];
      }
    }
    return out;
  }
  for (let y = 0; y < outHeight; y++) {
    const r0 = r0s[y];
    const r1 = r1s[y];
    const fy = ys.frac[y];
    for (let x = 0; x < outWidth; x++) {
      const c0 = c0s[x];
      const c1 = c1s[x];
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

/** Bilinear resize of upright RGBA to RGBA (opaque): an image as a larger or smaller photo. */
export function resizeRgbaBilinear(
  image: { data: Uint8Array | Uint8ClampedArray; width: number; height: number },
  width: number,
  height: number,
): { data: Uint8ClampedArray; width: number; height: number } {
  const planar = resizeBilinearToPlanar(image.data, image.width, image.height, 4, width, height);
  const plane = width * height;
  const data = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) data[i * 4 + c] = Math.round(planar[c * plane + i]);
    data[i * 4 + 3] = 255;
  }
  return { data, width, height };
}

/**
 * Nearest-neighbour source index along one axis, for each of `outSize` outputs from `inSize`
 * inputs (pixel centres aligned): the one mapping every label upscale uses.
 */
export function nearestIndex(inSize: number, outSize: number): Int32Array {
  const index = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++)
    index[i] = Math.min(inSize - 1, Math.floor(((i + 0.5) * inSize) / outSize));
  return index;
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
  const xmap = nearestIndex(width, outWidth);
  const ymap = nearestIndex(height, outHeight);
  for (let y = 0; y < outHeight; y++) {
    const row = ymap[y] * width;
    const o = y * outWidth;
    for (let x = 0; x < outWidth; x++) out[o + x] = labels[row + xmap[x]];
  }
  return out;
}

/** A planar score map: `classes` planes of height x width (logits or probabilities). */
export interface ScoreMap {
  data: Float32Array;
  classes: number;
  width: number;
  height: number;
}

/**
 * Bilinear resize of class scores (half-pixel centres, like the image resize), streamed row by
 * row: `visit(y, row)` gets output row y as (C, outWidth) and must not keep `row`. Only two
 * horizontally resized source rows are held at a time, so a 40 MP output never materialises
 * its (C, H, W) scores.
 */
export function forEachResizedScoreRow(
  scores: ScoreMap,
  outWidth: number,
  outHeight: number,
  visit: (y: number, row: Float32Array) => void,
): void {
  const { data, classes, width, height } = scores;
  const xs = taps(width, outWidth);
  const ys = taps(height, outHeight);
  const plane = width * height;
  // Horizontally resized source rows, cached by source row index (two slots).
  const slots = [new Float32Array(classes * outWidth), new Float32Array(classes * outWidth)];
  const slotRow = [-1, -1];
  const source = (r: number): Float32Array => {
    const hit = slotRow.indexOf(r);
    if (hit >= 0) return slots[hit];
    // Evict the slot that does not hold the row the caller is also using (rows only grow).
    const s = slotRow[0] < slotRow[1] ? 0 : 1;
    slotRow[s] = r;
    const out = slots[s];
    for (let c = 0; c < classes; c++) {
      const src = c * plane + r * width;
      const dst = c * outWidth;
      for (let x = 0; x < outWidth; x++) {
        const a = data[src + xs.lo[x]];
        out[dst + x] = a + (data[src + xs.hi[x]] - a) * xs.frac[x];
      }
    }
    return out;
  };
  const row = new Float32Array(classes * outWidth);
  for (let y = 0; y < outHeight; y++) {
    const top = source(ys.lo[y]);
    const bottom = source(ys.hi[y]);
    const fy = ys.frac[y];
    for (let i = 0; i < row.length; i++) row[i] = top[i] + (bottom[i] - top[i]) * fy;
    visit(y, row);
  }
}

/** Bilinear resize of a whole score map to (C, outHeight, outWidth). */
export function resizeScoresBilinear(scores: ScoreMap, outWidth: number, outHeight: number): Float32Array {
  const { classes } = scores;
  const out = new Float32Array(classes * outWidth * outHeight);
  const plane = outWidth * outHeight;
  forEachResizedScoreRow(scores, outWidth, outHeight, (y, row) => {
    for (let c = 0; c < classes; c++)
      out.set(row.subarray(c * outWidth, (c + 1) * outWidth), c * plane + y * outWidth);
  });
  return out;
}

/** Class ids (outHeight, outWidth) of the bilinearly resized scores; ties go to the lower class. */
export function resizeScoresArgmax(scores: ScoreMap, outWidth: number, outHeight: number): Uint8Array {
  const { classes } = scores;
  const labels = new Uint8Array(outWidth * outHeight);
  forEachResizedScoreRow(scores, outWidth, outHeight, (y, row) => {
    const o = y * outWidth;
    for (let x = 0; x < outWidth; x++) {
      let best = row[x];
      let label = 0;
      for (let c = 1; c < classes; c++) {
        const v = row[c * outWidth + x];
        if (v > best) {
          best = v;
          label = c;
        }
      }
      labels[o + x] = label;
    }
  });
  return labels;
}

/**
 * Softmax probabilities, quantised to uint8 (C, outHeight, outWidth), of the bilinearly
 * resized logits: the scores are brought to size before the softmax, as before the argmax.
 */
export function resizeLogitsToProbabilitiesUint8(
  logits: ScoreMap,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  const { classes } = logits;
  const plane = outWidth * outHeight;
  const out = new Uint8Array(classes * plane);
  const e = new Float32Array(classes);
  forEachResizedScoreRow(logits, outWidth, outHeight, (y, row) => {
    for (let x = 0; x < outWidth; x++) {
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, row[c * outWidth + x]);
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        e[c] = Math.exp(row[c * outWidth + x] - max);
        sum += e[c];
      }
      for (let c = 0; c < classes; c++) out[c * plane + y * outWidth + x] = Math.round((255 * e[c]) / sum);
    }
  });
  return out;
}
