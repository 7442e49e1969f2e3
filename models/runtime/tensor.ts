/**
 * Pre- and post-processing around the network. Shapes, written once:
 *   image   RGBA (H, W, 4) uint8, as decoded
 *   input   float32 (1, 3, h, w): resized to the model's resolution (or not), normalised
 *   logits  float32 (1, C, h, w): the network output, same h x w as its input
 *   labels  uint8 (H, W): argmax over C, brought back to the image's size
 */
import type { Rgba } from "./decode.ts";
import type { ModelMetadata } from "./model-metadata.ts";
import { resizeBilinearToPlanar, resizeLabelsNearest } from "./resize.ts";

/** The size the network runs at for an image of `width` x `height`. */
export function inferenceSize(
  meta: ModelMetadata,
  width: number,
  height: number,
): { width: number; height: number } {
  return meta.resolution ?? { width, height };
}

/** RGBA image -> normalised planar float input of the network, shape (3, h, w). */
export function preprocess(
  image: Rgba,
  size: { width: number; height: number },
  meta: ModelMetadata,
): Float32Array {
  const planar = resizeBilinearToPlanar(image.data, image.width, image.height, 4, size.width, size.height);
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

/** Labels at network resolution -> labels at the displayed image size. */
export function labelsToImageSize(
  labels: Uint8Array,
  size: { width: number; height: number },
  width: number,
  height: number,
): Uint8Array {
  return resizeLabelsNearest(labels, size.width, size.height, width, height);
}

/** Share of pixels per class, in class order. */
export function classFractions(labels: Uint8Array, classes: number): number[] {
  const counts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return Array.from(counts, (n) => n / Math.max(1, labels.length));
}

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
