import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { camvidValImages, requireCamvid, skipWithoutCamvid } from "../../test/fixtures/camvid.ts";
import { readPalettePngStrict } from "../../test/fixtures/strict-png.ts";

const val = camvidValImages();
const skipCamvid = skipWithoutCamvid("the CamVid val masks of npx fcn predict");

describe("npx fcn predict", () => {
  it.skipIf(skipCamvid)(
    "writes every CamVid val mask (FCN-8s) as a PNG a strict zlib reads (node:zlib, every CRC)",
    () => {
      requireCamvid();
      expect(val.length).toBe(101);
      const out = mkdtempSync(join(tmpdir(), "fcn-predict-"));
      try {
        execFileSync(
          process.execPath,
          [
            "cli/fcn.js",
            "predict",
            "--model",
            "models/fcn8s.onnx",
            "--provider",
            "cpu",
            "--out",
            out,
            ...val,
          ],
          { stdio: ["ignore", "ignore", "inherit"] },
        );
        const written = readdirSync(out).sort();
        expect(written).toHaveLength(101);
        for (const name of written) {
          const mask = readPalettePngStrict(readFileSync(join(out, name)));
          expect([mask.width, mask.height], name).toEqual([480, 360]);
          expect(mask.palette, name).toHaveLength(11);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    300_000,
  );
});
