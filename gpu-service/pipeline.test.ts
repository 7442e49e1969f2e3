/** The job pipeline against the edge stub and the real model, without a queue. */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FULL_LIMITS } from "../models/runtime/limits.ts";
import { type JobCallback, PROGRESS_STAGES } from "../protocol/jobs.ts";
import { jpeg } from "../test/fixtures/images.ts";
import { EdgeClient } from "./edge-client.ts";
import { InferenceQueue } from "./inference.ts";
import { createLogger } from "./log.ts";
import { Abandoned, type JobContext, type PipelineOptions, runPipeline } from "./pipeline.ts";
import { EdgeStub } from "./test/edge-stub.ts";
import { testModel } from "./test/harness.ts";

let edge: EdgeStub;
let options: PipelineOptions;
let small: Uint8Array;

beforeAll(async () => {
  small = await jpeg(96, 64);
  await testModel();
});
beforeEach(async () => {
  edge = await new EdgeStub().start();
  options = {
    edge: new EdgeClient({ callbackSecret: edge.secret, timeoutMs: 10_000, maxInputBytes: 1 << 20 }),
    inference: new InferenceQueue(await testModel(), {
      batchSize: 1,
      batchWindowMs: 0,
      tileMaxPixels: 4_194_304,
      tileSize: 2048,
      tileOverlap: 448,
    }),
    log: createLogger("error"),
    limits: FULL_LIMITS,
  };
});
afterEach(() => edge.stop());

const context = (jobId: string, signal = new AbortController().signal): JobContext => ({
  jobId,
  attempt: 1,
  signal,
  received: performance.now(),
  queueWaitMs: 0,
});

describe("the job pipeline", () => {
  it("downloads, segments, and uploads every wanted output with its content type", async () => {
    edge.addJob("p1", small);
    const message = edge.message("p1", { outputs: ["mask", "probabilities"] });
    const result = await runPipeline(options, message, context("p1"));
    expect(result).toMatchObject({
      width: 96,
      height: 64,
      outputs: ["mask", "probabilities"],
      provider: "cpu",
    });
    expect(result.class_fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(edge.putsFor("p1", "mask")[0].contentType).toBe("image/png");
    expect(edge.putsFor("p1", "probabilities")[0].contentType).toBe(
      "application/vnd.fcn.probabilities+uint8",
    );
    expect(edge.accepted("p1", "running")).toHaveLength(1);
  });

  it("reports progress through every stage, shift k of 64 while inferring, only ever forward (issue #17)", async () => {
    edge.addJob("p3", small);
    const sent: JobCallback[] = [];
    const post = options.edge.postCallback.bind(options.edge);
    options.edge.postCallback = (url, callback, signal) => {
      sent.push(callback);
      return post(url, callback, signal);
    };
    const message = edge.message("p3", { mode: "shift-and-stitch", outputs: ["mask", "rle"] });
    await runPipeline({ ...options, progressIntervalMs: 0 }, message, context("p3"));
    const progress = sent.flatMap((c) => (c.status === "progress" ? [c] : []));
    expect([...new Set(progress.map((p) => p.stage))]).toEqual([...PROGRESS_STAGES]);
    // 64 shifts in groups of 8: a report before each group
    expect(progress.filter((p) => p.stage === "inferring").length).toBeGreaterThanOrEqual(8);
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ stage: "uploading", fraction: 1 });
    expect(sent[0].status).toBe("running"); // the edge takes progress only from a running job
  });

  it("stops before the next stage once its message was given up", async () => {
    edge.addJob("p2", small);
    const abort = new AbortController();
    const run = runPipeline(
      { ...options, beforeStage: (s) => (s === "decode" ? abort.abort() : undefined) },
      edge.message("p2"),
      context("p2", abort.signal),
    );
    await expect(run).rejects.toBeInstanceOf(Abandoned);
    expect(edge.puts).toEqual([]);
  });
});
