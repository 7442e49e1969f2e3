import { describe, expect, it } from "vitest";
import { decodePalettePng, encodeLabelMapPng, encodePalettePng } from "./png.ts";
import { labelsAtImageSize } from "./tensor.ts";

describe("palette PNG", () => {
  it("round-trips class ids and the palette at odd sizes", () => {
    for (const [w, h] of [
      [1, 1],
      [37, 211],
      [480, 360],
    ]) {
      const labels = Uint8Array.from({ length: w * h }, (_, i) => (i * 7) % 11);
      const palette = Array.from({ length: 11 }, (_, i) => [i, 2 * i, 3 * i] as [number, number, number]);
      const png = encodePalettePng(labels, w, h, palette);
      expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const back = decodePalettePng(png);
      expect([back.width, back.height]).toEqual([w, h]);
      expect(back.labels).toEqual(labels);
      expect(back.palette).toEqual(palette);
    }
  });

  it("writes a small label map at its displayed size, as nearest-neighbour upscaling would", () => {
    const palette = Array.from({ length: 11 }, (_, i) => [i, 0, 0] as [number, number, number]);
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
      const back = decodePalettePng(encodeLabelMapPng(map, palette));
      expect([back.width, back.height]).toEqual([width, height]);
      expect(Buffer.from(back.labels).equals(Buffer.from(labelsAtImageSize(map)))).toBe(true);
    }
  });
});
