/** COCO RLE, read back by an independent decoder (a transcription of pycocotools' C, in Python). */
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classRuns, compressCounts, encodeRle } from "./rle.ts";

const DECODER = resolve(dirname(fileURLToPath(import.meta.url)), "../../test/fixtures/coco_rle_decode.py");
const NAMES = ["Sky", "Building", "Pole", "Road"];

function decodeInPython(doc: object): Map<number, string> {
  const out = spawnSync("/usr/bin/python3", [DECODER], { input: JSON.stringify(doc), encoding: "utf8" });
  if (out.status !== 0) throw new Error(out.stderr);
  return new Map(
    out.stdout
      .trim()
      .split("\n")
      .map((line) => {
        const [id, digits] = line.split(" ");
        return [Number(id), digits] as const;
      }),
  );
}

describe("COCO RLE", () => {
  it("reads column by column, starting with a run of 0s", () => {
    // 2x3, row-major:  0 1 1
    //                  1 1 0   column-major mask of class 1: 0,1 | 1,1 | 1,0
    const labels = Uint8Array.from([0, 1, 1, 1, 1, 0]);
    expect(classRuns(labels, 3, 2, 1)).toEqual([1, 4, 1]);
    expect(classRuns(labels, 3, 2, 0)).toEqual([0, 1, 4, 1]);
    expect(compressCounts([1, 4, 1])).toBe("141");
  });

  it("writes what pycocotools' decoding reads back, for random label maps of random sizes", () => {
    const maps = fc
      .record({ width: fc.integer({ min: 1, max: 40 }), height: fc.integer({ min: 1, max: 40 }) })
      .chain(({ width, height }) =>
        fc.record({
          width: fc.constant(width),
          height: fc.constant(height),
          // long runs (few classes) and noise (many changes) both occur
          labels: fc
            .array(fc.integer({ min: 0, max: 3 }), { minLength: width * height, maxLength: width * height })
            .map((v) => Uint8Array.from(v)),
        }),
      );
    const cases = fc.sample(maps, 150);
    // One large map with long runs: deltas far beyond one 5-bit group, positive and negative.
    const big = new Uint8Array(300 * 200);
    for (let i = 0; i < big.length; i++) big[i] = (i % 300 < 150 ? 0 : 1) + (i > 40_000 ? 2 : 0);
    cases.push({ width: 300, height: 200, labels: big });
    const docs = cases.map(({ labels, width, height }) => encodeRle(labels, width, height, NAMES));
    for (const [k, { labels, width, height }] of cases.entries()) {
      const decoded = decodeInPython(docs[k]);
      expect(docs[k].size).toEqual([height, width]);
      expect([...decoded.keys()]).toEqual([...new Set(labels)].sort((a, b) => a - b));
      for (const [id, digits] of decoded) {
        let want = "";
        for (const v of labels) want += v === id ? "1" : "0";
        expect(digits, `case ${k}, class ${id}`).toBe(want);
      }
    }
  }, 120_000);
});
