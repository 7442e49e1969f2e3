import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { cmykFromGreyJpeg } from "../../test/fixtures/craft.ts";
import { jpeg } from "../../test/fixtures/images.ts";
import { decodeImage } from "./decode.ts";
import { InputError } from "./errors.ts";
import { readImageInfo } from "./image-info.ts";
import { FULL_LIMITS } from "./limits.ts";
import { initNodeCodecs } from "./node.ts";

// Written by libjpeg through PIL, with PIL's own RGB conversion beside each as the reference
// (test/fixtures/cmyk/generate.py says how each was made).
const DIR = "test/fixtures/cmyk";
const read = async (name: string) => new Uint8Array(await readFile(`${DIR}/${name}`));

beforeAll(() => initNodeCodecs());

/** Mean and largest absolute difference over R, G, B; alpha must be opaque. */
function difference(rgba: Uint8ClampedArray, rgb: Uint8ClampedArray) {
  let sum = 0;
  let max = 0;
  for (let i = 0, n = rgba.length / 4; i < n; i++) {
    expect(rgba[4 * i + 3]).toBe(255);
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(rgba[4 * i + c] - rgb[4 * i + c]);
      sum += d;
      max = Math.max(max, d);
    }
  }
  return { mean: sum / ((rgba.length / 4) * 3), max };
}

describe("CMYK and YCCK JPEGs", () => {
  it.each([
    ["cmyk-adobe.jpg", "CMYK JPEG (Adobe)", 1, 4],
    // jpeg-js upsamples chroma by nearest neighbour, libjpeg by interpolation: edges differ more.
    ["cmyk-adobe-progressive-420.jpg", "CMYK JPEG (Adobe)", 4, 64],
    ["ycck-adobe.jpg", "YCCK JPEG (Adobe)", 1, 6],
  ])("%s decodes to the RGB PIL gives (Adobe's inverted inks)", async (name, coding, meanBound, maxBound) => {
    const bytes = await read(name);
    expect(readImageInfo(bytes).coding.name).toBe(coding);
    const image = await decodeImage(bytes, FULL_LIMITS);
    const reference = await decodeImage(await read(`${name}.rgb.png`), FULL_LIMITS);
    expect([image.width, image.height]).toEqual([96, 72]);
    const { mean, max } = difference(image.stored.data, reference.stored.data);
    expect(mean, `mean difference ${mean.toFixed(2)}`).toBeLessThan(meanBound);
    expect(max, `largest difference ${max}`).toBeLessThanOrEqual(maxBound);
  });

  it("applies Adobe's convention once: four equal stored channels g give R = G = B = g * g / 255", async () => {
    // craft.ts repeats a greyscale JPEG's scan as C, M, Y and K under an APP14 transform 0.
    const grey = await jpeg(64, 48, { progressive: false, color_space: 1 });
    const g = (await decodeImage(grey, FULL_LIMITS)).stored.data;
    const cmyk = (await decodeImage(cmykFromGreyJpeg(grey), FULL_LIMITS)).stored.data;
    let worst = 0;
    for (let i = 0; i < g.length; i += 4) {
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(cmyk[i + c] - (g[i] * g[i]) / 255));
    }
    expect(worst).toBeLessThan(4); // two decoders' IDCT rounding, squared
  });

  it("refuses a 4-component JPEG without Adobe's marker, saying why", async () => {
    await expect(decodeImage(await read("cmyk-unmarked.jpg"), FULL_LIMITS)).rejects.toThrow(
      expect.objectContaining({ code: "unreadable_image", message: expect.stringMatching(/APP14/) }),
    );
    await expect(decodeImage(await read("cmyk-unmarked.jpg"), FULL_LIMITS)).rejects.toBeInstanceOf(
      InputError,
    );
  });
});
