/** The overlay blend, and its JPEG read back by a decoder other than the encoder (sharp/libvips). */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodeJpeg } from "./node.ts";
import { blendOverlay } from "./overlay.ts";

const PALETTE: [number, number, number][] = [
  [128, 128, 128],
  [128, 0, 0],
  [0, 0, 192],
];

/** A width x height image of flat blocks (JPEG keeps flat areas), labelled by column thirds. */
function scene(width: number, height: number) {
  const data = new Uint8ClampedArray(width * height * 4);
  const labels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      data.set(y < height / 2 ? [40, 200, 90, 255] : [250, 250, 10, 255], i * 4);
      labels[i] = Math.floor((3 * x) / width);
    }
  }
  return { image: { width, height, data }, labels };
}

describe("overlay", () => {
  it("is half image, half class colour, per channel, opaque", () => {
    const image = { width: 2, height: 1, data: Uint8ClampedArray.from([10, 20, 31, 0, 255, 0, 100, 7]) };
    const out = blendOverlay(image, Uint8Array.from([1, 2]), PALETTE);
    // (10+128)/2, (20+0)/2, (31+0)/2 -> 15.5 rounds up; alpha is always 255
    expect([...out.data]).toEqual([69, 10, 16, 255, 128, 0, 146, 255]);
    expect(blendOverlay(image, Uint8Array.from([1, 2]), PALETTE, 0).data.slice(0, 3)).toEqual(
      Uint8ClampedArray.from([10, 20, 31]),
    );
    expect(blendOverlay(image, Uint8Array.from([1, 2]), PALETTE, 1).data.slice(4, 7)).toEqual(
      Uint8ClampedArray.from([0, 0, 192]),
    );
  });

  it("refuses labels of another size", () => {
    const { image } = scene(4, 4);
    expect(() => blendOverlay(image, new Uint8Array(15), PALETTE)).toThrow(/15 pixels, not 4x4/);
  });

  it("encodes to a JPEG that another decoder reads back as the blend, within JPEG error", async () => {
    const { image, labels } = scene(96, 64);
    const jpeg = await encodeJpeg(blendOverlay(image, labels, PALETTE));
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([96, 64, 3]);
    // Away from block and class edges (JPEG rings there), every pixel is the blend.
    let worst = 0;
    for (const [x, y] of [
      [8, 8],
      [50, 12],
      [88, 20],
      [8, 52],
      [50, 56],
      [88, 44],
    ]) {
      const i = y * 96 + x;
      const colour = PALETTE[labels[i]];
      for (let c = 0; c < 3; c++) {
        const want = (image.data[i * 4 + c] + colour[c]) / 2;
        worst = Math.max(worst, Math.abs(data[i * 3 + c] - want));
      }
    }
    expect(worst).toBeLessThanOrEqual(12);
  });
});
