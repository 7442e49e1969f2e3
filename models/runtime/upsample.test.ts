import { describe, expect, it } from "vitest";
import { argmax } from "./tensor.ts";
import { type BilinearDeconv, bilinearDeconv, bilinearDeconvArgmax, deconvTaps } from "./upsample.ts";

/** The FCN bilinear kernel of size 2f (fcn.berkeleyvision.org's upsample_filt), 1-D. */
function kernel1d(factor: number): number[] {
  const size = 2 * factor;
  const center = factor - 0.5;
  return Array.from({ length: size }, (_, t) => 1 - Math.abs(t - center) / factor);
}

/** Reference: a literal per-class ConvTranspose2d(kernel 2f, stride f) with the 2-D kernel, then the crop. */
function naiveDeconv(
  coarse: Float32Array,
  classes: number,
  ch: number,
  cw: number,
  width: number,
  height: number,
  { factor, crop }: BilinearDeconv,
): Float64Array {
  const k = kernel1d(factor);
  const fullH = (ch - 1) * factor + 2 * factor;
  const fullW = (cw - 1) * factor + 2 * factor;
  const full = new Float64Array(classes * fullH * fullW);
  for (let c = 0; c < classes; c++)
    for (let j = 0; j < ch; j++)
      for (let i = 0; i < cw; i++)
        for (let ky = 0; ky < 2 * factor; ky++)
          for (let kx = 0; kx < 2 * factor; kx++)
            full[(c * fullH + j * factor + ky) * fullW + i * factor + kx] +=
              coarse[(c * ch + j) * cw + i] * k[ky] * k[kx];
  const out = new Float64Array(classes * height * width);
  for (let c = 0; c < classes; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const fy = y + crop;
        const fx = x + crop;
        out[(c * height + y) * width + x] =
          fy < fullH && fx < fullW ? full[(c * fullH + fy) * fullW + fx] : 0;
      }
  return out;
}

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 8 - 4;
  });
}

describe("bilinear deconvolution outside the graph", () => {
  const cases: [string, number, number, number, number, BilinearDeconv][] = [
    // name, coarse h, w, output h, w, layer
    ["FCN-32s edge (320x240 from 8x10, crop 16)", 8, 10, 240, 320, { factor: 32, crop: 16 }],
    ["FCN-8s-like stride 8", 5, 7, 37, 51, { factor: 8, crop: 4 }],
    ["2x, output past the map (zero fade)", 3, 4, 9, 11, { factor: 2, crop: 1 }],
    ["1x1 coarse map", 1, 1, 20, 13, { factor: 16, crop: 8 }],
  ];
  for (const [name, ch, cw, h, w, layer] of cases) {
    it(`equals a literal transposed convolution: ${name}`, () => {
      const classes = 3;
      const coarse = random(classes * ch * cw, h * 31 + w);
      const got = bilinearDeconv({ data: coarse, classes, height: ch, width: cw }, w, h, layer);
      const want = naiveDeconv(coarse, classes, ch, cw, w, h, layer);
      let max = 0;
      for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
      expect(max).toBeLessThan(1e-5);
    });
  }

  it("the fused argmax equals argmax of the full logits", () => {
    const classes = 11;
    const coarse = random(classes * 8 * 10, 7);
    const scores = { data: coarse, classes, height: 8, width: 10 };
    const layer = { factor: 32, crop: 16 };
    const labels = bilinearDeconvArgmax(scores, 320, 240, layer);
    expect(labels).toEqual(argmax(bilinearDeconv(scores, 320, 240, layer), classes, 320 * 240));
    expect(new Set(labels).size).toBeGreaterThan(3);
  });

  it("taps: weights sum to 1 inside the map and fade to 0 outside it", () => {
    const taps = deconvTaps(4, 9, { factor: 2, crop: 1 });
    // out index 0 sits at t = 1: only cell 0 (rising half, weight 0.75) contributes.
    expect([taps.hi[0], taps.wHi[0], taps.wLo[0]]).toEqual([0, 0.75, 0]);
    for (let y = 1; y <= 6; y++) expect(taps.wLo[y] + taps.wHi[y]).toBeCloseTo(1, 6);
    // t = 9: cell 4 is past the map, cell 3 gives its falling half.
    expect([taps.lo[8], taps.wLo[8], taps.wHi[8]]).toEqual([3, 0.25, 0]);
  });
});
