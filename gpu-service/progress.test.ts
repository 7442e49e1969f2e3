/** Progress reports: monotonic, rate-limited, the last one held back still sent, none after close. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { JobProgress } from "../protocol/jobs.ts";
import { ProgressReporter, STAGE_SPANS } from "./progress.ts";

let sent: JobProgress[];
let reporter: ProgressReporter;
const send = async (p: JobProgress) => {
  sent.push(p);
};

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  sent = [];
  reporter = new ProgressReporter(send, { minIntervalMs: 500, now: () => Date.now() });
});
afterEach(() => {
  reporter.close();
  vi.useRealTimers();
});

describe("progress reports", () => {
  it("map tile k of n onto the stage's share of the whole job", () => {
    reporter.report("inferring", 16, 64);
    const [start, end] = STAGE_SPANS.inferring;
    expect(sent).toHaveLength(1);
    expect(sent[0].stage).toBe("inferring");
    expect(sent[0].fraction).toBeCloseTo(start + (end - start) / 4, 2); // rounded to 3 decimals
  });

  it("are rate-limited: at most one per interval, the latest held back sent when it ends", async () => {
    for (let k = 0; k < 64; k++) reporter.report("inferring", k, 64); // all at once: one sent
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.at(-1)).toEqual({ stage: "inferring", fraction: 0.838 }); // shift 63 of 64
    // a steady stream of reports over 5 s: at most 2 a second
    for (let t = 0; t < 5000; t += 10) {
      reporter.report("encoding", t, 5000);
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(sent.length).toBeLessThanOrEqual(2 + 5000 / 500);
    expect(sent.length).toBeGreaterThanOrEqual(5000 / 500);
  });

  it("never go backwards: an earlier stage, a lower fraction or the same point is not sent", async () => {
    reporter.report("encoding", 1, 2);
    await vi.advanceTimersByTimeAsync(1000);
    reporter.report("inferring", 64, 64);
    reporter.report("encoding", 0, 2);
    reporter.report("encoding", 1, 2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([{ stage: "encoding", fraction: 0.9 }]);
    reporter.report("uploading", 1, 1);
    expect(sent.at(-1)).toEqual({ stage: "uploading", fraction: 1 });
    // whatever was sent, in order, only moves forward
    const ranks = sent.map((p) => Object.keys(STAGE_SPANS).indexOf(p.stage));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it("send nothing after close, also not a report held back", async () => {
    reporter.report("downloading");
    reporter.report("downloading", 1);
    reporter.close();
    reporter.report("inferring");
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toEqual([{ stage: "downloading", fraction: 0 }]);
  });

  it("a failed send goes to onError and stops nothing", async () => {
    const errors: unknown[] = [];
    const failing = new ProgressReporter(async () => Promise.reject(new Error("edge down")), {
      minIntervalMs: 0,
      onError: (e) => errors.push(e),
    });
    failing.report("downloading");
    failing.report("inferring");
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(2);
    failing.close();
  });
});
