import { describe, expect, it } from "vitest";
import { classFractions, type LabelMap, labelMapFractions, labelsAtImageSize } from "./tensor.ts";

const map = (w: number, h: number, width: number, height: number): LabelMap => ({
  inferenceLabels: Uint8Array.from({ length: w * h }, (_, i) => (i * 7 + (i >> 3)) % 11),
  inference: { width: w, height: h },
  width,
  height,
});

describe("labelMapFractions", () => {
  it("equals the fractions of the full-size labels exactly, up, down and at the same size", () => {
    for (const m of [
      map(320, 240, 480, 360),
      map(320, 240, 3000, 2000),
      map(320, 240, 37, 211),
      map(5, 3, 5, 3),
    ]) {
      expect(labelMapFractions(m, 11)).toEqual(classFractions(labelsAtImageSize(m), 11));
    }
  });

  it("sums to one and counts classes that no displayed pixel shows as zero", () => {
    const fractions = labelMapFractions(map(320, 240, 1, 1), 11);
    expect(fractions.filter((f) => f > 0)).toEqual([1]);
  });
});
