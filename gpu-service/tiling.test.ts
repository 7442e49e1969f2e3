/** Tiled inference equals untiled inference away from the seams; the grid's own properties. */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Rgba } from "../models/runtime/decode.ts";
import { segment } from "../models/runtime/segment.ts";
import { labelsAtImageSize, probabilitiesUint8 } from "../models/runtime/tensor.ts";
import { InferenceQueue } from "./inference.ts";
import { decodeFile, SAMPLES, sameBytes, testModel } from "./test/harness.ts";
import { axisSpans, DEFAULT_TILE_OVERLAP, seams, segmentTiled, TILE_ALIGN, tileGrid } from "./tiling.ts";

describe("the tile grid", () => {
  it("covers the axis, starts tiles on multiples of 32, and owns every pixel once, far from cut edges", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 3, max: 64 }).map((n) => n * TILE_ALIGN),
        fc.integer({ min: 0, max: 31 }).map((n) => n * TILE_ALIGN),
        (length, tile, overlapWanted) => {
          const overlap = Math.min(overlapWanted, Math.floor((tile / 2 - 1) / TILE_ALIGN) * TILE_ALIGN);
          const spans = axisSpans(length, tile, overlap);
          expect(spans[0].start).toBe(0);
          expect(spans.at(-1)!.end).toBe(length);
          let owned = 0;
          for (const [i, s] of spans.entries()) {
            expect(s.start % TILE_ALIGN).toBe(0);
            expect(s.end - s.start).toBeLessThanOrEqual(tile);
            expect(s.ownStart).toBe(i === 0 ? 0 : spans[i - 1].ownEnd);
            expect(s.ownStart).toBeGreaterThanOrEqual(s.start);
            expect(s.ownEnd).toBeLessThanOrEqual(s.end);
            // Owned pixels keep at least overlap/2 from every cut (non-image) edge.
            if (s.start > 0) expect(s.ownStart - s.start).toBeGreaterThanOrEqual(overlap / 2);
            if (s.end < length) expect(s.end - s.ownEnd).toBeGreaterThanOrEqual(overlap / 2);
            owned += s.ownEnd - s.ownStart;
          }
          expect(owned).toBe(length);
        },
      ),
    );
  });

  it("is one tile for an image no larger than a tile", () => {
    expect(tileGrid(640, 480, 1024, 128)).toHaveLength(1);
    expect(tileGrid(2000, 1000, 1024, 128)).toHaveLength(3 * 1);
  });
});

/**
 * The three samples above, mirrored below, as a 1440x720 mosaic: real content, wide enough for
 * two tiles at the default overlap.
 */
async function mosaic(): Promise<Rgba> {
  const parts = await Promise.all([...SAMPLES, ...SAMPLES].map((p) => decodeFile(p)));
  const width = 1440;
  const height = 720;
  const data = new Uint8ClampedArray(width * height * 4);
  parts.forEach((part, k) => {
    const ox = (k % 3) * 480;
    const oy = Math.floor(k / 3) * 360;
    for (let y = 0; y < 360; y++) {
      for (let x = 0; x < 480; x++) {
        const sx = k >= 3 ? 479 - x : x;
        const from = (y * 480 + sx) * 4;
        data.set(part.data.subarray(from, from + 4), ((oy + y) * width + ox + x) * 4);
      }
    }
  });
  return { width, height, data };
}

/**
 * The FCN-8s as a model that runs at every input's own size (no reference scale, no input
 * scale): the kind tiling is for. The shipped one brings large images down to its training
 * scale instead (and may enlarge them by its input scale).
 */
async function ownSizeModel() {
  const model = await testModel();
  return { ...model, meta: { ...model.meta, referencePixels: undefined, inputScale: undefined } };
}

describe("tiled segmentation", () => {
  let image: Rgba;
  let untiled: Awaited<ReturnType<typeof segment>>;
  beforeAll(async () => {
    image = await mosaic();
    untiled = await segment(await ownSizeModel(), image, { keepLogits: true });
  });

  it("equals the untiled labels at every pixel farther than the overlap from a seam", async () => {
    const tileSize = 640;
    const overlap = 160;
    const tiled = await segmentTiled(await ownSizeModel(), image, { tileSize, overlap });
    expect(tiled.tiles).toBe(3 * 2);
    const seamsX = seams(axisSpans(image.width, tileSize, overlap));
    const seamsY = seams(axisSpans(image.height, tileSize, overlap));
    let compared = 0;
    let differentNearSeams = 0;
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        const distance = Math.min(
          ...seamsX.map((s) => Math.abs(x - s)),
          ...seamsY.map((s) => Math.abs(y - s)),
        );
        const i = y * image.width + x;
        if (distance > overlap) {
          compared++;
          if (tiled.labels[i] !== labelsAtImageSize(untiled)[i])
            throw new Error(`pixel (${x}, ${y}) differs`);
        } else if (tiled.labels[i] !== labelsAtImageSize(untiled)[i]) differentNearSeams++;
      }
    }
    expect(compared).toBeGreaterThan(image.width * image.height * 0.15);
    // Near the seams the labels may differ a little (zero padding at the cut), never a lot.
    expect(differentNearSeams / (image.width * image.height)).toBeLessThan(0.05);
  });

  it(`with the default overlap (${DEFAULT_TILE_OVERLAP} = twice the network's reach) equals untiled everywhere`, async () => {
    // Each tile's owned pixels are at least half the overlap from its cut edges: beyond what any
    // input pixel can influence, so scores, labels and probabilities are those of one whole run.
    const tiled = await segmentTiled(await ownSizeModel(), image, {
      tileSize: 2 * DEFAULT_TILE_OVERLAP + TILE_ALIGN,
      overlap: DEFAULT_TILE_OVERLAP,
      probabilities: true,
    });
    expect(tiled.tiles).toBe(2);
    expect(sameBytes(tiled.labels, labelsAtImageSize(untiled))).toBe(true);
    const probabilities = probabilitiesUint8(untiled.logits!, 11, image.width * image.height);
    expect(sameBytes(tiled.probabilities!, probabilities)).toBe(true);
  });

  it("stops between tiles when the checkpoint throws (a job's deadline passed mid-job)", async () => {
    let checked = 0;
    const stopped = segmentTiled(await ownSizeModel(), image, {
      tileSize: 448,
      overlap: 160,
      checkpoint: () => {
        if (++checked === 3) throw new Error("deadline");
      },
    });
    await expect(stopped).rejects.toThrow("deadline");
    expect(checked).toBe(3); // two of the ten tiles ran, the third never started
  });

  it("is refused for a model that resizes its input, which the inference queue then runs whole", async () => {
    const own = await ownSizeModel();
    for (const meta of [
      { ...own.meta, referencePixels: 480 * 360 },
      { ...own.meta, inputScale: 1.5 }, // each tile resampled apart, its start off the grid
    ]) {
      const model = { ...own, meta };
      await expect(segmentTiled(model, image, { tileSize: 448, overlap: 160 })).rejects.toThrow(
        /resizes its input/,
      );
      const queue = new InferenceQueue(model, {
        batchSize: 1,
        batchWindowMs: 0,
        tileMaxPixels: 1,
        tileSize: 448,
        tileOverlap: 160,
      });
      expect(queue.needsTiling(image)).toBe(false);
    }
  });

  it("is what the inference queue does with inputs over tileMaxPixels", async () => {
    const inference = new InferenceQueue(await ownSizeModel(), {
      batchSize: 1,
      batchWindowMs: 0,
      tileMaxPixels: 500_000,
      tileSize: 2 * DEFAULT_TILE_OVERLAP + TILE_ALIGN,
      tileOverlap: DEFAULT_TILE_OVERLAP,
    });
    expect(inference.needsTiling(image)).toBe(true);
    const prediction = await inference.predict({ image, mode: "learned", probabilities: false });
    expect(prediction.tiles).toBe(2);
    expect(sameBytes(prediction.labels, labelsAtImageSize(untiled))).toBe(true);
  });
});
