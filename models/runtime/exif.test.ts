import { describe, expect, it } from "vitest";
import { jpeg, withExifOrientation } from "../../test/fixtures/images.ts";
import { applyOrientation, type Orientation, readOrientation } from "./exif.ts";

// A 3x2 image whose pixel value is its index: 0 1 2 / 3 4 5
const image = () => {
  const data = new Uint8ClampedArray(6 * 4);
  for (let i = 0; i < 6; i++) data[i * 4] = i;
  return { width: 3, height: 2, data };
};
const reds = (img: { data: Uint8ClampedArray }) => Array.from(img.data.filter((_, i) => i % 4 === 0));

describe("EXIF orientation", () => {
  it("reads the tag from a JPEG APP1 segment", async () => {
    const base = await jpeg(8, 8);
    expect(readOrientation(base)).toBe(1);
    for (const o of [3, 6, 8]) expect(readOrientation(withExifOrientation(base, o))).toBe(o);
  });

  it("shows the image as a viewer does for all eight orientations", () => {
    const expected: Record<Orientation, [number, number, number[]]> = {
      1: [3, 2, [0, 1, 2, 3, 4, 5]],
      2: [3, 2, [2, 1, 0, 5, 4, 3]],
      3: [3, 2, [5, 4, 3, 2, 1, 0]],
      4: [3, 2, [3, 4, 5, 0, 1, 2]],
      5: [2, 3, [0, 3, 1, 4, 2, 5]],
      6: [2, 3, [3, 0, 4, 1, 5, 2]],
      7: [2, 3, [5, 2, 4, 1, 3, 0]],
      8: [2, 3, [2, 5, 1, 4, 0, 3]],
    };
    for (const [o, [w, h, values]] of Object.entries(expected)) {
      const out = applyOrientation(image(), Number(o) as Orientation);
      expect([out.width, out.height, reds(out)], `orientation ${o}`).toEqual([w, h, values]);
    }
  });
});
