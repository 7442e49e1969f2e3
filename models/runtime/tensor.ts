/**
 * Pre- and post-processing around the network. Shapes, written once:
 *   image   RGBA uint8, as stored (EXIF orientation not applied); (H, W) is its displayed size
 *   input   float32 (1, 3, h, w): the displayed image resized to the model's resolution (or
 *           not), normalised
 *   logits  float32 (1, C, h, w): the network output, same h x w as its input
 *   labels  uint8 (h, w): argmax over C; shown at (H, W) by nearest neighbour (LabelMap)
 */
import type { OrientedRgba } from "./decode.ts";
import type { ModelMetadata } from "./model-metadata.ts";
import { nearestIndex, resizeBilinearToPlanar, resizeLabelsNearest } from "./resize.ts";

/**
 * Whether the model runs images at their own size, pixel for pixel: no fixed `resolution`, no
 * `referencePixels` to bring them down to, no `inputScale` to enlarge them by. Only such a model
 * can be run in tiles whose results are those of the whole image (gpu-service/tiling.ts).
 */
export function runsAtOwnSize(meta: ModelMetadata): boolean {
  return !meta.resolution && !meta.referencePixels && (meta.inputScale ?? 1) === 1;
}

/**
 * The size the network runs at for an image of `width` x `height`: the model's fixed
 * resolution, or the image's own size brought down to the model's `referencePixels`, times its
 * `inputScale` and `scale` (test-time augmentation runs a few scales around it).
 */
export function inferenceSize(
  meta: ModelMetadata,
  width: number,
  height: number,
  scale = 1,
): { width: number; height: number } {
  if (meta.resolution) return meta.resolution;
  const reference = meta.referencePixels;
  const k =
    scale *
    (meta.inputScale ?? 1) *
    (reference && width * height > reference ? Math.sqrt(reference / (width * height)) : 1);
  if (k === 1) return { width, height };
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}

/** Stored RGBA + orientation -> normalised planar float input of the network, shape (3, h, w). */
export function preprocess(
  { stored, orientation }: OrientedRgba,
  size: { width: number; height: number },
  meta: ModelMetadata,
): Float32Array {
  const { data, width, height } = stored;
  const planar = resizeBilinearToPlanar(data, width, height, 4, size.width, size.height, orientation);
  normalizeInPlace(planar, size.width * size.height, meta.mean, meta.std);
  return planar;
}

export function normalizeInPlace(planar: Float32Array, plane: number, mean: number[], std: number[]): void {
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * std[c]);
    const shift = mean[c] / std[c];
    for (let i = c * plane, end = (c + 1) * plane; i < end; i++) planar[i] = planar[i] * scale - shift;
  }
}

/** Per-pixel argmax over classes of planar logits (C, h, w); ties go to the lower class. */
export function argmax(logits: Float32Array, classes: number, plane: number): Uint8Array {
  const labels = new Uint8Array(plane);
  const best = logits.slice(0, plane);
  for (let c = 1; c < classes; c++) {
    const off = c * plane;
    for (let i = 0; i < plane; i++) {
      const v = logits[off + i];
      if (v > best[i]) {
        best[i] = v;
        labels[i] = c;
      }
    }
  }
  return labels;
}

/**
 * A label map as the network made it, (h, w) = `inference`, shown at the image's (height,
 * width) by nearest neighbour. Kept small: a preview's labels are 320x240 whatever the photo.
 */
export interface LabelMap {
  inferenceLabels: Uint8Array;
  inference: { width: number; height: number };
  width: number;
  height: number;
}

/** Labels that are already at the image's size, as a LabelMap. */
export const fullSizeLabels = (labels: Uint8Array, width: number, height: number): LabelMap => ({
  inferenceLabels: labels,
  inference: { width, height },
  width,
  height,
});

/** Labels at network resolution -> labels at the displayed image size (a full-size buffer). */
export function labelsToImageSize(
  labels: Uint8Array,
  size: { width: number; height: number },
  width: number,
  height: number,
): Uint8Array {
  return resizeLabelsNearest(labels, size.width, size.height, width, height);
}

export const labelsAtImageSize = (map: LabelMap): Uint8Array =>
  labelsToImageSize(map.inferenceLabels, map.inference, map.width, map.height);

/** How many displayed pixels along an axis show each source index (nearest neighbour). */
function nearestCounts(inSize: number, outSize: number): Float64Array {
  const counts = new Float64Array(inSize);
  for (const i of nearestIndex(inSize, outSize)) counts[i]++;
  return counts;
}

/**
 * Share of displayed pixels per class, in class order: exactly the fractions of
 * `labelsAtImageSize(map)`, counted on the small labels (each one stands for the product of
 * how many displayed columns and rows show it).
 */
export function labelMapFractions(map: LabelMap, classes: number): number[] {
  const { inferenceLabels: labels, inference } = map;
  const columns = nearestCounts(inference.width, map.width);
  const rows = nearestCounts(inference.height, map.height);
  const counts = new Float64Array(classes);
  for (let y = 0; y < inference.height; y++) {
    const shown = rows[y];
    if (shown === 0) continue;
    for (let x = 0, i = y * inference.width; x < inference.width; x++, i++)
      counts[labels[i]] += shown * columns[x];
  }
  return Array.from(counts, (n) => n / Math.max(1, map.width * map.height));
}

/** Share of pixels per class, in class order, of labels at the image's size. */
export const classFractions = (labels: Uint8Array, classes: number): number[] =>
  labelMapFractions(fullSizeLabels(labels, labels.length, 1), classes);

/** Per-pixel softmax probabilities quantised to uint8 (0..255), planar (C, h, w). */
export function probabilitiesUint8(logits: Float32Array, classes: number, plane: number): Uint8Array {
  const out = new Uint8Array(classes * plane);
  for (let i = 0; i < plane; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[c * plane + i]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[c * plane + i] - max);
    for (let c = 0; c < classes; c++)
      out[c * plane + i] = Math.round((255 * Math.exp(logits[c * plane + i] - max)) / sum);
  }
  return out;
}
