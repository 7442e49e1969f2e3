/**
 * The 1/8-scale DC decoder against an independent one: sharp (libvips with libjpeg-turbo)
 * decodes the same file in full, and the mean of each 8x8 block of its pixels is what the
 * DC coefficient says. Subsampled chroma differs most: one chroma block spans 2 luma blocks,
 * and the DC decoder interpolates between chroma blocks' means where libjpeg interpolates
 * between chroma pixels.
 */
import { readFile } from "node:fs/promises";
import sharp, { type JpegOptions } from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { withSofMarker } from "../../test/fixtures/craft.ts";
import { encodeImage, pattern, photoLike, withExifOrientation } from "../../test/fixtures/images.ts";
import { decodeImage } from "./decode.ts";
import { decodeJpegDc } from "./jpeg-dc.ts";
import { PREVIEW_LIMITS } from "./limits.ts";
import { initNodeCodecs } from "./node.ts";

const fixture = async (name: string) =>
  new Uint8Array(await readFile(new URL(`./fixtures/jpeg-dc/${name}`, import.meta.url)));

/** How far the DC image is from the block means of sharp's full decode, over every channel. */
async function compareWithSharp(bytes: Uint8Array) {
  const image = decodeJpegDc(bytes);
  if (!image) throw new Error("the DC decoder refused the file");
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  expect([image.width, image.height]).toEqual([Math.ceil(info.width / 8), Math.ceil(info.height / 8)]);
  const differences: number[] = [];
  for (let by = 0; by < image.height; by++)
    for (let bx = 0; bx < image.width; bx++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let y = by * 8; y < Math.min(info.height, by * 8 + 8); y++)
          for (let x = bx * 8; x < Math.min(info.width, bx * 8 + 8); x++, n++)
            sum += data[(y * info.width + x) * info.channels + (info.channels >= 3 ? c : 0)];
        differences.push(Math.abs(sum / n - image.data[(by * image.width + bx) * 4 + c]));
      }
  differences.sort((a, b) => a - b);
  return {
    mean: differences.reduce((a, d) => a + d, 0) / differences.length,
    p99: differences[Math.floor(differences.length * 0.99)],
    max: differences[differences.length - 1],
  };
}

/** The photo-like picture encoded by sharp (libjpeg-turbo) with the given JPEG options. */
async function sharpJpeg(width: number, height: number, options: JpegOptions, grey = false) {
  let pipeline = sharp(Buffer.from(photoLike(width, height)), { raw: { width, height, channels: 3 } });
  if (grey) pipeline = pipeline.greyscale();
  return new Uint8Array(await pipeline.jpeg(options).toBuffer());
}

beforeAll(initNodeCodecs);

describe("JPEG at 1/8 scale from the DC coefficients", () => {
  it.each([
    ["baseline 4:4:4", () => sharpJpeg(203, 117, { quality: 90, chromaSubsampling: "4:4:4" })],
    [
      "progressive 4:4:4",
      () => sharpJpeg(203, 117, { quality: 90, chromaSubsampling: "4:4:4", progressive: true }),
    ],
    ["greyscale", () => sharpJpeg(203, 117, { quality: 85 }, true)],
    ["progressive greyscale", () => sharpJpeg(203, 117, { quality: 85, progressive: true }, true)],
    ["restart markers, progressive 4:4:4 (cjpeg)", () => fixture("progressive-restart-444.jpg")],
  ])("%s: each pixel is its block's mean in the full decode", async (_, make) => {
    const { mean, max } = await compareWithSharp(await make());
    expect(mean).toBeLessThan(1);
    expect(max).toBeLessThanOrEqual(4);
  });

  it.each([
    ["baseline 4:2:0", () => sharpJpeg(203, 117, { quality: 85 })],
    [
      "progressive 4:2:0, optimised scans (mozjpeg)",
      () => sharpJpeg(203, 117, { quality: 85, mozjpeg: true }),
    ],
    ["restart markers every 2 MCU rows, 4:2:0 (cjpeg)", () => fixture("restart-420.jpg")],
    ["one scan per component, 4:2:2 (cjpeg)", () => fixture("separate-scans-422.jpg")],
  ])("%s: close to the block means, chroma interpolated between its blocks", async (_, make) => {
    const { mean, p99 } = await compareWithSharp(await make());
    expect(mean).toBeLessThan(2);
    expect(p99).toBeLessThan(8);
  });

  it("refuses scan data that ends before the last block as truncated, like the full decode", async () => {
    const whole = await sharpJpeg(203, 117, { quality: 85 });
    // Cut the scan data at two thirds and end the file there (EOI), as a cut upload repaired
    // by a proxy would be: the structure is whole, the blocks are not.
    const cut = new Uint8Array([...whole.subarray(0, Math.floor((whole.length * 2) / 3)), 0xff, 0xd9]);
    expect(() => decodeJpegDc(cut)).toThrow(/truncated: its scan data ends early/);
  });

  it("returns null for what it does not decode: arithmetic coding, 12-bit, lossless, CMYK", async () => {
    const bytes = await sharpJpeg(64, 48, { quality: 85 });
    expect(decodeJpegDc(withSofMarker(bytes, 0xc9))).toBeNull();
    expect(decodeJpegDc(withSofMarker(bytes, 0xc1, 12))).toBeNull();
    expect(decodeJpegDc(withSofMarker(bytes, 0xc3))).toBeNull();
    const cmyk = await readFile("test/fixtures/cmyk/cmyk-adobe.jpg");
    expect(decodeJpegDc(new Uint8Array(cmyk))).toBeNull();
  });
});

describe("decodeImage with `atLeast`", () => {
  const need = { width: 320, height: 240 };

  it("decodes a 12 MP photo at 1/8, past the 8 MP limit of a full decode, and says its displayed size", async () => {
    const bytes = await encodeImage("jpeg", pattern(4032, 3024), { quality: 70 });
    const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need });
    expect([image.stored.width, image.stored.height]).toEqual([504, 378]);
    expect([image.width, image.height]).toEqual([4032, 3024]);
    expect(image.fullSize).toEqual({ width: 4032, height: 3024 });
    const error = await decodeImage(bytes, PREVIEW_LIMITS).catch((e) => e);
    expect(error.code).toBe("too_many_pixels");
  });

  it("keeps the EXIF orientation for the resize, and compares the displayed size with `atLeast`", async () => {
    const bytes = withExifOrientation(
      await encodeImage("jpeg", pattern(2880, 2560), { quality: 70, progressive: false, baseline: true }),
      6,
    );
    const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need });
    expect(image.orientation).toBe(6);
    expect([image.width, image.height]).toEqual([2560, 2880]);
    expect([image.stored.width, image.stored.height]).toEqual([360, 320]);
    // Shown as 320x360, 1/8 does not cover 330 across: decoded whole.
    const wide = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: { width: 330, height: 240 } });
    expect(wide.fullSize).toBeUndefined();
    expect([wide.stored.width, wide.stored.height]).toEqual([2880, 2560]);
  });

  it("decodes whole, under the full limits, what 1/8 would not cover or the DC decoder does not handle", async () => {
    const small = await encodeImage("jpeg", pattern(480, 360));
    expect((await decodeImage(small, PREVIEW_LIMITS, { atLeast: need })).fullSize).toBeUndefined();
    const arithmetic = withSofMarker(await encodeImage("jpeg", pattern(4032, 3024), { quality: 50 }), 0xc9);
    const error = await decodeImage(arithmetic, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    expect(error.code).toBe("too_many_pixels");
    expect(error.message).toMatch(/the limit is 8000000 pixels/);
  });
});
