import { describe, expect, it } from "vitest";
import { applyOrientation, type Orientation } from "./exif.ts";
import reference from "./fixtures/resize-reference.json" with { type: "json" };
import { nearestIndex, resizeBilinearToPlanar, resizeLabelsNearest } from "./resize.ts";

describe("resizeBilinearToPlanar", () => {
  it("equals PyTorch's bilinear interpolate (align_corners=False) for down, up and odd sizes", () => {
    const rgb = Uint8Array.from(reference.rgb);
    for (const c of reference.cases) {
      const out = resizeBilinearToPlanar(rgb, reference.width, reference.height, 3, c.width, c.height);
      expect(out.length).toBe(c.planar.length);
      for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(c.planar[i], 3);
    }
  });

  it("is the identity at the same size and skips the alpha channel", () => {
    const rgba = Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255]);
    expect(Array.from(resizeBilinearToPlanar(rgba, 2, 1, 4, 2, 1))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe("resizeBilinearToPlanar with an EXIF orientation", () => {
  it("equals rotating the full-size image first, bit for bit, for all eight orientations", () => {
    const [w, h] = [37, 23];
    const data = Uint8ClampedArray.from({ length: w * h * 4 }, (_, i) => (i * 37 + (i >> 7)) % 256);
    for (let o = 1 as Orientation; o <= 8; o++) {
      const shown = applyOrientation({ width: w, height: h, data }, o);
      for (const [ow, oh] of [
        [16, 12],
        [61, 45],
        [shown.width, shown.height],
      ]) {
        const rotatedFirst = resizeBilinearToPlanar(shown.data, shown.width, shown.height, 4, ow, oh);
        const folded = resizeBilinearToPlanar(data, w, h, 4, ow, oh, o);
        expect(Buffer.from(folded.buffer).equals(Buffer.from(rotatedFirst.buffer)), `orientation ${o}`).toBe(
          true,
        );
      }
    }
  });
});

describe("resizeBilinearToPlanar at the same size (the GPU tier's fast path)", () => {
  it("is each displayed pixel's RGB, planar, for all eight orientations", () => {
    const [w, h] = [29, 17];
    const data = Uint8ClampedArray.from({ length: w * h * 4 }, (_, i) => (i * 53 + (i >> 5)) % 256);
    for (let o = 1 as Orientation; o <= 8; o++) {
      const shown = applyOrientation({ width: w, height: h, data }, o);
      const plane = shown.width * shown.height;
      const expected = new Float32Array(3 * plane);
      for (let i = 0; i < plane; i++)
        for (let c = 0; c < 3; c++) expected[c * plane + i] = shown.data[i * 4 + c];
      expect(resizeBilinearToPlanar(data, w, h, 4, shown.width, shown.height, o), `orientation ${o}`).toEqual(
        expected,
      );
    }
  });
});

describe("resizeLabelsNearest", () => {
  it("never blends classes and keeps the exact target size", () => {
    const labels = Uint8Array.from([0, 1, 2, 3]);
    const up = resizeLabelsNearest(labels, 2, 2, 4, 4);
    expect(Array.from(up)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
    expect(resizeLabelsNearest(labels, 2, 2, 37, 211).length).toBe(37 * 211);
  });

  it("maps every output to the source pixel whose centre is nearest", () => {
    expect(Array.from(nearestIndex(3, 7))).toEqual([0, 0, 1, 1, 1, 2, 2]);
    expect(Array.from(nearestIndex(4, 2))).toEqual([1, 3]);
  });
});
