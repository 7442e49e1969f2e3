import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  camvidValImages,
  camvidValMasks,
  requireCamvid,
  skipWithoutCamvid,
} from "../../test/fixtures/camvid.ts";
import { readPalettePngStrict } from "../../test/fixtures/strict-png.ts";

const val = camvidValImages();
const skipCamvid = skipWithoutCamvid("the CamVid val masks of npx fcn predict");

describe("npx fcn predict", () => {
  it.skipIf(skipCamvid)(
    "writes every CamVid val mask (FCN-8s) as a PNG a strict zlib reads (node:zlib, every CRC)",
    async () => {
      requireCamvid();
      expect(val.length).toBe(101);
      // `npx fcn predict --model models/fcn8s.onnx --provider cpu --out <dir> <the 101 images>`,
      // run once per vitest run and shared with the end-to-end reference (camvid.ts)
      const out = await camvidValMasks();
      const written = readdirSync(out)
        .filter((name) => !name.startsWith("."))
        .sort();
      expect(written).toHaveLength(101);
      for (const name of written) {
        const mask = readPalettePngStrict(readFileSync(join(out, name)));
        expect([mask.width, mask.height], name).toEqual([480, 360]);
        expect(mask.palette, name).toHaveLength(11);
      }
    },
    300_000,
  );
});
