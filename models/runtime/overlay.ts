/**
 * The `overlay` output: the image with each pixel's class colour laid over it. Pure: the
 * JPEG encoding happens in the Node tier (models/runtime/node.ts `encodeJpeg`).
 *
 *   out = round((1 - alpha) * image + alpha * colour[label]), per RGB channel; alpha 255
 */
import type { Rgba } from "./codecs.ts";

/** Half image, half class colour: the classes read at a glance and the scene stays visible. */
export const OVERLAY_ALPHA = 0.5;

/** Blend `image` (RGBA, its alpha ignored) with the colour of each pixel's class in `labels`. */
export function blendOverlay(
  image: Rgba,
  labels: Uint8Array,
  palette: readonly (readonly [number, number, number])[],
  alpha = OVERLAY_ALPHA,
): Rgba {
  const { width, height } = image;
  if (labels.length !== width * height)
    throw new Error(`labels hold ${labels.length} pixels, not ${width}x${height}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`alpha must be in [0, 1], not ${alpha}`);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < labels.length; i++) {
    // A label without a colour (none in a valid model) is left as the image.
    const colour = palette[labels[i]];
    for (let c = 0; c < 3; c++) {
      const pixel = image.data[i * 4 + c];
      data[i * 4 + c] = colour ? Math.round((1 - alpha) * pixel + alpha * colour[c]) : pixel;
    }
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}
