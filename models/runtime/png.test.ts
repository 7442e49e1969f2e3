import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readPalettePngStrict } from "../../test/fixtures/strict-png.ts";
import { encodeLabelMapPng, encodePalettePng } from "./png.ts";
import { labelsAtImageSize } from "./tensor.ts";

// Every PNG here is read back by node:zlib and checked chunk by chunk (test/fixtures/strict-png.ts):
// an fflate round trip would hide the invalid streams fflate's streaming deflate writes.
const palette11 = Array.from({ length: 11 }, (_, i) => [i, 2 * i, 3 * i] as [number, number, number]);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("palette PNG", () => {
  it("round-trips class ids and the palette at odd sizes", async () => {
    for (const [w, h] of [
      [1, 1],
      [37, 211],
      [480, 360],
    ]) {
      const labels = Uint8Array.from({ length: w * h }, (_, i) => (i * 7) % 11);
      const png = await encodePalettePng(labels, w, h, palette11);
      const back = readPalettePngStrict(png);
      expect([back.width, back.height]).toEqual([w, h]);
      expect(same(back.labels, labels)).toBe(true);
      expect(back.palette).toEqual(palette11);
    }
  });

  it("writes a small label map at its displayed size, as nearest-neighbour upscaling would", async () => {
    for (const [width, height] of [
      [480, 360],
      [1, 1],
      [37, 211],
      [3000, 2000],
    ]) {
      const map = {
        inferenceLabels: Uint8Array.from({ length: 320 * 240 }, (_, i) => (i * 13 + (i >> 9)) % 11),
        inference: { width: 320, height: 240 },
        width,
        height,
      };
      const back = readPalettePngStrict(await encodeLabelMapPng(map, palette11));
      expect([back.width, back.height]).toEqual([width, height]);
      expect(same(back.labels, labelsAtImageSize(map))).toBe(true);
    }
  });

  it("writes streams zlib accepts where fflate 0.8.3's streaming deflate did not (issue #260)", async () => {
    // The smallest map the property below found against fflate fed row by row (2 rows of 8).
    const tiny = Uint8Array.from([0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(same(readPalettePngStrict(await encodePalettePng(tiny, 8, 2, palette11)).labels, tiny)).toBe(true);
    // Mask-like maps: long runs of one class, repeated rows, a few random rows among them.
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let t = 0; t < 40; t++) {
      const width = 200 + Math.floor(random() * 1800);
      const height = 100 + Math.floor(random() * 300);
      const labels = new Uint8Array(width * height);
      let cls = 0;
      for (let y = 0; y < height; y++) {
        const row = labels.subarray(y * width, (y + 1) * width);
        if (y > 0 && random() < 0.7) row.set(labels.subarray((y - 1) * width, y * width));
        else
          for (let x = 0; x < width; x++) {
            if (random() < 0.02) cls = Math.floor(random() * 11);
            row[x] = cls;
          }
      }
      const back = readPalettePngStrict(await encodePalettePng(labels, width, height, palette11));
      expect(same(back.labels, labels)).toBe(true);
    }
  });

  it("property: any label map of any size reads back exactly with a strict zlib", async () => {
    const runs = Number(process.env.PNG_PROPERTY_RUNS ?? 2000);
    // Maps built from runs and repeated rows (what masks look like), plus plain noise.
    const labelMap = fc
      .record({
        width: fc.integer({ min: 1, max: 700 }),
        height: fc.integer({ min: 1, max: 300 }),
        classes: fc.integer({ min: 1, max: 256 }),
        runLength: fc.integer({ min: 1, max: 5000 }),
        repeatRows: fc.double({ min: 0, max: 1, noNaN: true }),
        seed: fc.integer(),
      })
      .map(({ width, height, classes, runLength, repeatRows, seed }) => {
        let s = seed >>> 0;
        const random = () => {
          s = (s * 1664525 + 1013904223) >>> 0;
          return s / 2 ** 32;
        };
        const labels = new Uint8Array(width * height);
        let cls = 0;
        for (let y = 0; y < height; y++) {
          if (y > 0 && random() < repeatRows) {
            labels.copyWithin(y * width, (y - 1) * width, y * width);
            continue;
          }
          for (let x = 0; x < width; x++) {
            if (random() * runLength < 1) cls = Math.floor(random() * classes);
            labels[y * width + x] = cls;
          }
        }
        return { width, height, classes, labels };
      });
    await fc.assert(
      fc.asyncProperty(labelMap, async ({ width, height, classes, labels }) => {
        const palette = Array.from({ length: classes }, (_, i) => [i, i, i] as [number, number, number]);
        const back = readPalettePngStrict(await encodePalettePng(labels, width, height, palette));
        expect([back.width, back.height]).toEqual([width, height]);
        expect(same(back.labels, labels)).toBe(true);
      }),
      { numRuns: runs },
    );
  });
});
