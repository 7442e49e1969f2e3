import { describe, expect, it } from "vitest";
import { type CoarseNet, shiftAndStitch, shiftInput } from "./shift-stitch.ts";

/** A strided "identity" net: keeps every f-th pixel, the coarse output of stride f. */
const subsample =
  (f: number): CoarseNet =>
  async (batch, n, channels, height, width) => {
    const h = Math.ceil(height / f);
    const w = Math.ceil(width / f);
    const out = new Float32Array(n * channels * h * w);
    for (let k = 0; k < n * channels; k++)
      for (let u = 0; u < h; u++)
        for (let v = 0; v < w; v++)
          out[(k * h + u) * w + v] = batch[k * height * width + u * f * width + v * f];
    return { data: out, channels, height: h, width: w };
  };

const ramp = (channels: number, height: number, width: number) => ({
  data: Float32Array.from({ length: channels * height * width }, (_, i) => i + 1),
  channels,
  height,
  width,
});

describe("shift-and-stitch", () => {
  it("rebuilds the full-resolution input from a strided identity net, for any size and stride", async () => {
    for (const [f, h, w] of [
      [2, 4, 4],
      [4, 9, 13],
      [8, 37, 21],
      [32, 33, 65],
    ]) {
      const input = ramp(2, h, w);
      const out = await shiftAndStitch(subsample(f), input, f, { batch: 5 });
      expect([out.channels, out.height, out.width]).toEqual([2, h, w]);
      expect(out.data).toEqual(input.data);
    }
  });

  it("interlaces: output (f*u+dy, f*v+dx) comes from shift (dy, dx), coarse cell (u, v)", async () => {
    const seen: [number, number][] = [];
    const tagging: CoarseNet = async (batch, n, channels, height, width) => {
      // Every coarse cell reports which shift produced it (from the first input value).
      const out = new Float32Array(n * 2);
      for (let k = 0; k < n; k++) {
        const first = batch[k * channels * height * width];
        out[k * 2] = first; // u = 0, v = 0
        out[k * 2 + 1] = first;
        seen.push([first, k]);
      }
      return { data: out, channels: 1, height: 1, width: 2 };
    };
    const input = {
      data: Float32Array.from({ length: 2 * 4 }, (_, i) => i),
      channels: 1,
      height: 2,
      width: 4,
    };
    const out = await shiftAndStitch(tagging, input, 2);
    // shift (dy, dx) sees input(dy, dx) first; pixel (y, x) must hold input(y mod 2, x mod 2)
    expect(Array.from(out.data)).toEqual([0, 1, 0, 1, 4, 5, 4, 5]);
    expect(seen).toHaveLength(4);
  });

  it("calls the checkpoint before each group of shifts and stops when it throws (a job's deadline)", async () => {
    let runs = 0;
    const net = subsample(4);
    const counting: CoarseNet = (...args) => {
      runs++;
      return net(...args);
    };
    let checks = 0;
    const stopped = shiftAndStitch(counting, ramp(1, 8, 8), 4, {
      batch: 4,
      checkpoint: () => {
        if (++checks === 3) throw new Error("deadline");
      },
    });
    await expect(stopped).rejects.toThrow("deadline");
    expect(runs).toBe(2); // of the 4 groups of 4 shifts, the third never ran
  });

  it("shifts with zero padding and an offset", () => {
    const input = { data: Float32Array.from([1, 2, 3, 4]), channels: 1, height: 2, width: 2 };
    expect(Array.from(shiftInput(input, 1, 0))).toEqual([3, 4, 0, 0]);
    expect(Array.from(shiftInput(input, 0, 0, 1))).toEqual([0, 0, 0, 1]);
  });
});
