import { describe, expect, it } from "vitest";
import { ConfusionMatrix, scores } from "./metrics.ts";

describe("the four FCN metrics", () => {
  it("match a hand-computed 3-class case", () => {
    // truth:      0 0 0 0 1 1 2 2   (and one void pixel, 11, ignored)
    // prediction: 0 0 0 1 1 1 2 0
    const truth = Uint8Array.from([0, 0, 0, 0, 1, 1, 2, 2, 11]);
    const pred = Uint8Array.from([0, 0, 0, 1, 1, 1, 2, 0, 2]);
    const s = scores(new ConfusionMatrix(3).add(pred, truth));
    // n00=3 n01=1 n11=2 n22=1 n20=1; t = [4, 2, 2]; predicted = [4, 3, 1]
    expect(s.pixelAccuracy).toBeCloseTo(6 / 8);
    expect(s.meanAccuracy).toBeCloseTo((3 / 4 + 2 / 2 + 1 / 2) / 3);
    const iu = [3 / (4 + 4 - 3), 2 / (2 + 3 - 2), 1 / (2 + 1 - 1)];
    expect(s.iu).toEqual(iu.map((v) => expect.closeTo(v)));
    expect(s.meanIU).toBeCloseTo((iu[0] + iu[1] + iu[2]) / 3);
    expect(s.frequencyWeightedIU).toBeCloseTo((4 * iu[0] + 2 * iu[1] + 2 * iu[2]) / 8);
  });

  it("are all 1 for a perfect prediction", () => {
    const truth = Uint8Array.from([0, 1, 2, 1]);
    const s = scores(new ConfusionMatrix(3).add(truth, truth));
    expect([s.pixelAccuracy, s.meanAccuracy, s.meanIU, s.frequencyWeightedIU]).toEqual([1, 1, 1, 1]);
  });

  it("leave out classes absent from both truth and prediction (0/0)", () => {
    const s = scores(new ConfusionMatrix(4).add(Uint8Array.from([0, 1]), Uint8Array.from([0, 1])));
    expect(Number.isNaN(s.iu[3])).toBe(true);
    expect(s.meanIU).toBe(1);
  });

  it("count a class that is predicted but never true as IU 0", () => {
    const s = scores(new ConfusionMatrix(2).add(Uint8Array.from([1, 1]), Uint8Array.from([0, 0])));
    expect(s.iu).toEqual([0, 0]);
    expect(s.meanIU).toBe(0);
    expect(s.meanAccuracy).toBe(0); // class 1 has no truth pixels: left out of mean accuracy
  });
});
