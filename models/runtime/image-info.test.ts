import { beforeAll, describe, expect, it } from "vitest";
import { jpeg, png, webp } from "../../test/fixtures/images.ts";
import { InputError } from "./errors.ts";
import { checkLimits, readImageInfo } from "./image-info.ts";

let samples: Record<string, Uint8Array>;
beforeAll(async () => {
  samples = { jpeg: await jpeg(37, 211), png: await png(64, 48), webp: await webp(65, 49) };
});

describe("readImageInfo", () => {
  it("reads type and size from JPEG, PNG and WebP headers", () => {
    expect(readImageInfo(samples.jpeg)).toEqual({ type: "image/jpeg", width: 37, height: 211 });
    expect(readImageInfo(samples.png)).toEqual({ type: "image/png", width: 64, height: 48 });
    expect(readImageInfo(samples.webp)).toEqual({ type: "image/webp", width: 65, height: 49 });
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
    expect(() =>
      checkLimits({ type: "image/png", width: 100_000, height: 100_000 }, { maxPixels: 1e7, maxSide: 8192 }),
    ).toThrow(InputError);
    expect(() =>
      checkLimits({ type: "image/png", width: 3000, height: 2000 }, { maxPixels: 1e7, maxSide: 8192 }),
    ).not.toThrow();
  });
});
