import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { jpeg, png, webp } from "../../test/fixtures/images.ts";
import { checkComplete, jpegReachesEoi, pngReachesIend, webpIsWhole } from "./completeness.ts";
import { decodeImage } from "./decode.ts";
import { InputError } from "./errors.ts";
import { FULL_LIMITS } from "./limits.ts";
import { initNodeCodecs } from "./node.ts";

// A CamVid val frame (84 KB), and encoder output of every kind.
const SAMPLE = "worker/demo/public/samples/0016E5_07959.jpg";

beforeAll(() => initNodeCodecs());

async function refusal(bytes: Uint8Array): Promise<InputError> {
  try {
    await decodeImage(bytes, FULL_LIMITS);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("decoded");
}

describe("a truncated JPEG", () => {
  it("is refused with unreadable_image saying truncated, cut at 2,000, 20,000 and 60,000 bytes", async () => {
    const whole = new Uint8Array(await readFile(SAMPLE));
    expect(whole.length).toBeGreaterThan(60_000);
    expect((await decodeImage(whole, FULL_LIMITS)).width).toBe(480);
    for (const at of [2_000, 20_000, 60_000, whole.length - 2, whole.length - 1]) {
      const error = await refusal(whole.slice(0, at));
      expect([error.status, error.code], `cut at ${at}`).toEqual([400, "unreadable_image"]);
      expect(error.message, `cut at ${at}`).toMatch(/truncated/);
    }
  });

  it("is told from a whole one by its markers alone, at every cut of every coding", async () => {
    const files = [
      await readFile(SAMPLE).then((b) => new Uint8Array(b)),
      await jpeg(64, 48, { progressive: false }),
      await jpeg(64, 48, { progressive: true }),
      await jpeg(37, 211, { progressive: false, color_space: 1 }),
    ];
    for (const [n, whole] of files.entries()) {
      expect(jpegReachesEoi(whole), `file ${n}`).toBe(true);
      // bytes after EOI (cameras and polyglots append some) are not truncation
      expect(jpegReachesEoi(new Uint8Array([...whole, 1, 2, 3, 0xff])), `file ${n} + trailer`).toBe(true);
      const step = Math.max(1, Math.floor(whole.length / 400));
      for (let at = 2; at < whole.length; at += step) {
        expect(jpegReachesEoi(whole.subarray(0, at)), `file ${n} cut at ${at}`).toBe(false);
      }
      expect(jpegReachesEoi(whole.subarray(0, whole.length - 1)), `file ${n} without its last byte`).toBe(
        false,
      );
      expect(() => checkComplete(whole.subarray(0, whole.length - 2), { type: "image/jpeg" })).toThrow(
        /truncated/,
      );
    }
  });

  it("with an EOI appended after the cut is refused from the decoder's warning", async () => {
    const whole = new Uint8Array(await readFile(SAMPLE));
    const patched = new Uint8Array([...whole.subarray(0, 30_000), 0xff, 0xd9]);
    expect(jpegReachesEoi(patched)).toBe(true);
    const error = await refusal(patched);
    expect(error.code).toBe("unreadable_image");
    expect(error.message).toMatch(/truncated: its scan data ends early \(.*(Premature end|premature end)/);
  });
});

describe("a truncated PNG or WebP", () => {
  it("is told from a whole one by its structure alone, at every cut, before any decoding", async () => {
    for (const [type, whole, isWhole] of [
      ["image/png", await png(64, 48), pngReachesIend],
      ["image/webp", await webp(64, 48), webpIsWhole],
    ] as const) {
      expect(isWhole(whole), type).toBe(true);
      expect(() => checkComplete(whole, { type })).not.toThrow();
      for (let at = 1; at < whole.length; at++) {
        expect(isWhole(whole.slice(0, at)), `${type} cut at ${at}`).toBe(false);
        expect(() => checkComplete(whole.slice(0, at), { type }), `${type} cut at ${at}`).toThrow(
          /truncated/,
        );
      }
    }
  });
});
