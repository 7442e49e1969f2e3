import { beforeAll, describe, expect, it } from "vitest";
import { jpeg, png, webp, webpWith } from "../../test/fixtures/images.ts";
import { encodePngVariant } from "../../test/fixtures/png-writer.ts";
import { InputError } from "./errors.ts";
import {
  checkLimits,
  DECODER_BYTES_PER_PIXEL,
  decodeBytes,
  type ImageInfo,
  readImageInfo,
} from "./image-info.ts";
import { PREVIEW_LIMITS } from "./limits.ts";

let samples: Record<string, Uint8Array>;
beforeAll(async () => {
  samples = { jpeg: await jpeg(37, 211), png: await png(64, 48), webp: await webp(65, 49) };
});

const info = (width: number, height: number, bytesPerPixel = 4.6, fileBytes = 1000): ImageInfo => ({
  type: "image/png",
  width,
  height,
  fileBytes,
  coding: { name: "PNG RGBA", bytesPerPixel },
});

describe("readImageInfo", () => {
  it("reads type, size and file size from JPEG, PNG and WebP headers", () => {
    const sized = (b: Uint8Array) => {
      const { type, width, height, fileBytes } = readImageInfo(b);
      return { type, width, height, fileBytes };
    };
    expect(sized(samples.jpeg)).toEqual({
      type: "image/jpeg",
      width: 37,
      height: 211,
      fileBytes: samples.jpeg.length,
    });
    expect(sized(samples.png)).toEqual({
      type: "image/png",
      width: 64,
      height: 48,
      fileBytes: samples.png.length,
    });
    expect(sized(samples.webp)).toEqual({
      type: "image/webp",
      width: 65,
      height: 49,
      fileBytes: samples.webp.length,
    });
  });

  it("tells the codings whose decoders need different memory apart", async () => {
    const coding = (b: Uint8Array) => readImageInfo(b).coding;
    const pattern = { auto_subsample: false, quality: 90 };
    const baseline = { ...pattern, progressive: false, baseline: true };
    expect(coding(await jpeg(64, 48, { ...baseline, chroma_subsample: 2 }))).toEqual({
      name: "baseline JPEG (4:2:0)",
      bytesPerPixel: DECODER_BYTES_PER_PIXEL.jpegSequential,
    });
    expect(coding(await jpeg(64, 48, { ...pattern, chroma_subsample: 2 }))).toEqual({
      name: "progressive or multi-scan JPEG (4:2:0)",
      bytesPerPixel: DECODER_BYTES_PER_PIXEL.jpegBuffered(1.5),
    });
    expect(coding(await jpeg(64, 48, { ...pattern, chroma_subsample: 1 })).bytesPerPixel).toBe(
      DECODER_BYTES_PER_PIXEL.jpegBuffered(3),
    );
    expect(coding(await webpWith(64, 48)).name).toBe("lossy WebP");
    expect(coding(await webpWith(64, 48, {}, true)).name).toBe("lossy WebP with alpha");
    expect(coding(await webpWith(64, 48, { lossless: 1 })).name).toBe("lossless WebP");
    expect(coding(encodePngVariant(8, 8, { colour: 2, depth: 8 }))).toEqual({
      name: "PNG RGB",
      bytesPerPixel: DECODER_BYTES_PER_PIXEL.png[2],
    });
  });

  it("classifies bad input", () => {
    const code = (b: Uint8Array) => {
      try {
        readImageInfo(b);
        return "ok";
      } catch (e) {
        return (e as InputError).code;
      }
    };
    expect(code(new Uint8Array())).toBe("empty_body");
    expect(code(new TextEncoder().encode("GIF89a...."))).toBe("unsupported_media_type");
    expect(code(samples.png.subarray(0, 20))).toBe("unreadable_image");
    expect(code(samples.jpeg.subarray(0, 4))).toBe("unreadable_image");
  });

  it("refuses headers that promise too many pixels before decoding", () => {
    expect(() => checkLimits(info(100_000, 100_000), { maxPixels: 1e7, maxSide: 8192 })).toThrow(InputError);
    expect(() => checkLimits(info(3000, 2000), { maxPixels: 1e7, maxSide: 8192 })).not.toThrow();
  });

  it("refuses a coding that would take more memory to decode than the limit, and says how much fits", () => {
    const limits = { maxPixels: 1e7, maxSide: 8192, maxDecodeBytes: 80e6, advice: "downscale it" };
    // 6 MP at 15.0 bytes per pixel + the 2 MB file twice = 94 MB > 80 MB
    const dear = info(3000, 2000, 15, 2e6);
    expect(decodeBytes(dear)).toBe(94e6);
    expect(() => checkLimits(dear, limits)).toThrow(
      /3000x2000, a PNG RGBA, .* may have 5\.0 megapixels: downscale it$/,
    );
    expect(() => checkLimits(info(3000, 2000, 9, 2e6), limits)).not.toThrow();
  });

  it("serves 3000x2000 in every common coding, as the preview limits are set", async () => {
    const noisy = { auto_subsample: false, quality: 90, chroma_subsample: 2 };
    const served = [
      await jpeg(3000, 2000, { ...noisy, progressive: false, baseline: true }),
      await jpeg(3000, 2000, noisy),
      encodePngVariant(3000, 2000, { colour: 2, depth: 8 }),
      await webpWith(3000, 2000),
    ];
    for (const bytes of served) {
      // as large a file as such a photo has (a progressive JPEG's is smaller than a baseline's)
      const info = readImageInfo(bytes);
      const photo = {
        ...info,
        fileBytes: info.coding.name.startsWith("progressive") ? 2_500_000 : 4_000_000,
      };
      expect(() => checkLimits(photo, PREVIEW_LIMITS), photo.coding.name).not.toThrow();
    }
  });
});
