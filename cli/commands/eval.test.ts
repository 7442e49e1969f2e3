import { execFile } from "node:child_process";
import { basename } from "node:path";
import { promisify } from "node:util";
import { beforeEach, describe, expect, it } from "vitest";
import { requireCamvid, skipWithoutCamvid } from "../../test/fixtures/camvid.ts";
import { camvidDir } from "../data/location.ts";
import { framePairs } from "./eval.ts";

const run = promisify(execFile);
/** `npx fcn eval` with the edge model (the fastest), as a child process. */
const fcnEval = (...args: string[]) =>
  run(process.execPath, ["cli/fcn.js", "eval", "--model", "models/fcn32s-edge-int8.onnx", ...args]);
describe.skipIf(skipWithoutCamvid("npx fcn eval on CamVid"))("npx fcn eval", () => {
  beforeEach(requireCamvid);

  it("reads train+val as both lists, and --drive keeps only that drive's frames", async () => {
    const all = await framePairs(camvidDir(), "train+val");
    expect(all).toHaveLength(468);
    const held = await framePairs(camvidDir(), "train+val", "0006R0");
    expect(held).toHaveLength(101);
    for (const [image, label] of held) {
      expect(basename(image)).toMatch(/^0006R0_/);
      expect(basename(label)).toBe(basename(image).replace(/\.(jpg|png)$/, ".png"));
    }
    expect(await framePairs(camvidDir(), "val", "0006R0")).toHaveLength(0); // val is all 0016E5
  });

  it("scores the held-out drive's frames with --drive, and says so in its JSON", async () => {
    const { stdout } = await fcnEval("--split", "train+val", "--drive", "0006R0", "--limit", "2", "--json");
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ split: "train+val", drive: "0006R0", images: 2, quality: "standard" });
    expect(result.meanIU).toBeGreaterThan(0);
    expect(result.meanIU).toBeLessThanOrEqual(1);
  }, 120_000);

  it("averages an --ensemble with --quality high: a model joined by its own copy scores as it does alone", async () => {
    const args = ["--model", "models/fcn8s.onnx", "--quality", "high", "--limit", "1", "--json"];
    const eval8s = (...more: string[]) => run(process.execPath, ["cli/fcn.js", "eval", ...args, ...more]);
    const [alone, twice] = (await Promise.all([eval8s(), eval8s("--ensemble", "models/fcn8s.onnx")])).map(
      ({ stdout }) => JSON.parse(stdout),
    );
    expect(alone.ensemble).toEqual([]);
    expect(twice.ensemble).toEqual([alone.model]);
    expect(twice.meanIU).toBeCloseTo(alone.meanIU, 6);
    await expect(fcnEval("--ensemble", "models/fcn8s.onnx")).rejects.toMatchObject({
      stderr: expect.stringContaining("--ensemble needs --quality high"),
    });
    await expect(eval8s("--ensemble", "models/fcn32s-edge-int8.onnx")).rejects.toMatchObject({
      stderr: expect.stringMatching(/cannot join .*ensemble: different run resolution/),
    });
  }, 120_000);

  it("runs a model at another --input-scale and says so, and refuses one for the fixed-size edge model", async () => {
    const args = ["--model", "models/fcn8s.onnx", "--input-scale", "1.5", "--limit", "1", "--json"];
    const { stdout } = await run(process.execPath, ["cli/fcn.js", "eval", ...args]);
    expect(JSON.parse(stdout)).toMatchObject({ inputScale: 1.5, images: 1 });
    await expect(fcnEval("--input-scale", "1.5")).rejects.toMatchObject({
      stderr: expect.stringContaining("runs at a fixed resolution: no input scale"),
    });
    await expect(fcnEval("--input-scale", "9")).rejects.toMatchObject({
      stderr: expect.stringContaining("--input-scale must be a number from 0.25 to 4"),
    });
  }, 120_000);

  it("refuses a drive with no frames in the split, and an unknown split, with a clear message", async () => {
    await expect(fcnEval("--drive", "0006R0")).rejects.toMatchObject({
      stderr: expect.stringContaining("no frames of drive 0006R0 in val"),
    });
    await expect(fcnEval("--split", "test")).rejects.toMatchObject({
      stderr: expect.stringContaining("--split must be train, val or train+val"),
    });
  }, 60_000);
});
