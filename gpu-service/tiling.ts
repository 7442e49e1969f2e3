/**
 * Segmentation of inputs too large to run in one piece: overlapping tiles, each run through
 * the same segment() pipeline, stitched by taking every pixel from the tile where it is most
 * central (the farthest from that tile's cut edges).
 *
 * Why the result equals the untiled prediction away from the seams: the network is
 * convolutional, so a pixel's scores depend only on the input around it. Two things can
 * break that: (1) a tile's cut edge is zero-padded where the whole image has real pixels,
 * which changes scores within roughly a receptive field of the cut; the overlap keeps those
 * pixels out of every tile's owned region. (2) Max pooling and strided layers work on a grid
 * anchored at the input's origin; tiles start on multiples of the output stride (32) so each
 * tile sees the same grid as the whole image.
 */
import type { Rgba } from "../models/runtime/decode.ts";
import { type Model, segment, type UpsamplingMode } from "../models/runtime/segment.ts";
import type { Checkpoint } from "../models/runtime/shift-stitch.ts";
import { labelsAtImageSize, probabilitiesUint8, runsAtOwnSize } from "../models/runtime/tensor.ts";

/** Tiles start on multiples of this (the network's output stride). */
export const TILE_ALIGN = 32;

/**
 * The default overlap of two tiles (TILE_OVERLAP): twice the farthest an input pixel reaches
 * into the scores, so every pixel a tile owns is computed from exactly the inputs of the whole
 * image. Measured, not derived: the VGG16 FCN-8s reaches about 224 px (a cut farther than that
 * changes no logit), the ResNet-18 layout of the heavy recipe farther (448 changed labels on
 * the test mosaic, 512 gave the untiled bytes).
 */
export const DEFAULT_TILE_OVERLAP = 512;

/** One axis of the grid: the tile's extent [start, end) and the part it owns [ownStart, ownEnd). */
export interface Span {
  start: number;
  end: number;
  ownStart: number;
  ownEnd: number;
}

export interface Tile {
  x: Span;
  y: Span;
}

/**
 * Spans of `tile` pixels overlapping by `overlap` that cover [0, length). Starts are multiples
 * of `tile - overlap` (hence of 32 when both are); the last span stops at the edge. Ownership
 * changes hands in the middle of each overlap, so every owned pixel is at least overlap / 2
 * from its tile's cut edges.
 */
export function axisSpans(length: number, tile: number, overlap: number): Span[] {
  if (tile <= overlap) throw new Error("the tile must be larger than the overlap");
  if (length <= tile) return [{ start: 0, end: length, ownStart: 0, ownEnd: length }];
  const step = tile - overlap;
  const spans: Span[] = [];
  for (let start = 0; ; start += step) {
    spans.push({ start, end: Math.min(start + tile, length), ownStart: 0, ownEnd: 0 });
    if (start + tile >= length) break;
  }
  for (const [i, span] of spans.entries()) {
    span.ownStart = i === 0 ? 0 : spans[i - 1].ownEnd;
    span.ownEnd = i === spans.length - 1 ? length : Math.floor((spans[i + 1].start + span.end) / 2);
  }
  return spans;
}

/** The 2-D grid of tiles covering a width x height image, row by row. */
export function tileGrid(width: number, height: number, tile: number, overlap: number): Tile[] {
  const xs = axisSpans(width, tile, overlap);
  const ys = axisSpans(height, tile, overlap);
  return ys.flatMap((y) => xs.map((x) => ({ x, y })));
}

/** Where ownership changes hands along one axis (for tests and diagnostics). */
export function seams(spans: Span[]): number[] {
  return spans.slice(1).map((s) => s.ownStart);
}

/** The pixels of [x0, x1) x [y0, y1) as an image of their own. */
export function cropRgba(image: Rgba, x0: number, y0: number, x1: number, y1: number): Rgba {
  const width = x1 - x0;
  const height = y1 - y0;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * image.width + x0) * 4;
    data.set(image.data.subarray(from, from + width * 4), y * width * 4);
  }
  return { width, height, data };
}

export interface TiledSegmentation {
  labels: Uint8Array;
  width: number;
  height: number;
  /** (C, H, W) uint8 class probabilities, when asked for */
  probabilities?: Uint8Array;
  tiles: number;
  /** onnxruntime time summed over the tiles, ms */
  inferenceMs: number;
}

/**
 * Segment `image` tile by tile. Needs a model that runs at the input's own size (no fixed
 * `resolution`, no `referencePixels`, no `inputScale`): a resizing model sees the whole image
 * anyway, and an enlarging one would resample every tile apart and move its start off the
 * network's grid (32 image pixels are 48 of the network's at an input scale of 1.5).
 */
export async function segmentTiled(
  model: Model,
  image: Rgba,
  options: {
    tileSize: number;
    overlap: number;
    mode?: UpsamplingMode;
    probabilities?: boolean;
    /** called before each tile; throws to stop (a job's deadline passed) */
    checkpoint?: Checkpoint;
  },
): Promise<TiledSegmentation> {
  if (!runsAtOwnSize(model.meta))
    throw new Error(`model ${model.meta.id} resizes its input; tiling does not apply`);
  const { width, height } = image;
  const classes = model.meta.classes.length;
  const labels = new Uint8Array(width * height);
  const probabilities = options.probabilities ? new Uint8Array(classes * width * height) : undefined;
  const grid = tileGrid(width, height, options.tileSize, options.overlap);
  let inferenceMs = 0;
  for (const [index, { x, y }] of grid.entries()) {
    options.checkpoint?.(index, grid.length);
    const crop = cropRgba(image, x.start, y.start, x.end, y.end);
    const result = await segment(model, crop, { mode: options.mode, keepLogits: options.probabilities });
    inferenceMs += result.timings.inference;
    const tileWidth = crop.width;
    const tilePlane = crop.width * crop.height;
    const tileProbabilities =
      probabilities && result.logits ? probabilitiesUint8(result.logits, classes, tilePlane) : undefined;
    const ownWidth = x.ownEnd - x.ownStart;
    for (let row = y.ownStart; row < y.ownEnd; row++) {
      const from = (row - y.start) * tileWidth + (x.ownStart - x.start);
      const to = row * width + x.ownStart;
      labels.set(labelsAtImageSize(result).subarray(from, from + ownWidth), to);
      if (probabilities && tileProbabilities) {
        for (let c = 0; c < classes; c++) {
          const src = c * tilePlane + from;
          probabilities.set(tileProbabilities.subarray(src, src + ownWidth), c * width * height + to);
        }
      }
    }
  }
  return { labels, width, height, probabilities, tiles: grid.length, inferenceMs };
}
