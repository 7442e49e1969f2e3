/** Class scores brought to the image's size bilinearly, streamed row by row. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  resizeLogitsToProbabilitiesUint8,
  resizeScoresArgmax,
  resizeScoresBilinear,
  type ScoreMap,
} from "./resize.ts";
import { argmax, probabilitiesUint8 } from "./tensor.ts";

/** The textbook definition, one output at a time (half-pixel centres, edges clamped). */
function reference(scores: ScoreMap, outWidth: number, outHeight: number): Float32Array {
  const { data, classes, width, height } = scores;
  const out = new Float32Array(classes * outWidth * outHeight);
  const at = (c: number, y: number, x: number) => data[(c * height + y) * width + x];
  for (let c = 0; c < classes; c++)
    for (let y = 0; y < outHeight; y++)
      for (let x = 0; x < outWidth; x++) {
        const sy = Math.max(0, ((y + 0.5) * height) / outHeight - 0.5);
        const sx = Math.max(0, ((x + 0.5) * width) / outWidth - 0.5);
        const y0 = Math.min(Math.floor(sy), height - 1);
        const x0 = Math.min(Math.floor(sx), width - 1);
        const y1 = Math.min(y0 + 1, height - 1);
        const x1 = Math.min(x0 + 1, width - 1);
        const fy = sy - y0;
        const fx = sx - x0;
        const top = at(c, y0, x0) + (at(c, y0, x1) - at(c, y0, x0)) * fx;
        const bottom = at(c, y1, x0) + (at(c, y1, x1) - at(c, y1, x0)) * fx;
        out[(c * outHeight + y) * outWidth + x] = top + (bottom - top) * fy;
      }
  return out;
}

const scoreMaps = fc
  .record({
    classes: fc.integer({ min: 1, max: 5 }),
    width: fc.integer({ min: 1, max: 9 }),
    height: fc.integer({ min: 1, max: 9 }),
  })
  .chain(({ classes, width, height }) =>
    fc.record({
      scores: fc
        .array(fc.float({ min: -8, max: 8, noNaN: true }), {
          minLength: classes * width * height,
          maxLength: classes * width * height,
        })
        .map((values): ScoreMap => ({ data: Float32Array.from(values), classes, width, height })),
      outWidth: fc.integer({ min: 1, max: 40 }),
      outHeight: fc.integer({ min: 1, max: 40 }),
    }),
  );

describe("bilinear resize of class scores", () => {
  it("equals the per-pixel definition, up or down, at any size", () => {
    fc.assert(
      fc.property(scoreMaps, ({ scores, outWidth, outHeight }) => {
        const got = resizeScoresBilinear(scores, outWidth, outHeight);
        const want = reference(scores, outWidth, outHeight);
        for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
      }),
      { numRuns: 300 },
    );
  });

  it("streams the same argmax and probabilities as resizing the whole map first", () => {
    fc.assert(
      fc.property(scoreMaps, ({ scores, outWidth, outHeight }) => {
        const whole = resizeScoresBilinear(scores, outWidth, outHeight);
        const plane = outWidth * outHeight;
        expect(resizeScoresArgmax(scores, outWidth, outHeight)).toEqual(argmax(whole, scores.classes, plane));
        const streamed = resizeLogitsToProbabilitiesUint8(scores, outWidth, outHeight);
        const direct = probabilitiesUint8(whole, scores.classes, plane);
        for (let i = 0; i < direct.length; i++)
          expect(Math.abs(streamed[i] - direct[i])).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});
