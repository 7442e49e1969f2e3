/**
 * The consumer against a real local SQS (fauxqs) and a stub of the edge's internal routes:
 * results, failures, redelivery, the dead-letter queue, visibility and shutdown.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decodeImage, upright } from "../models/runtime/decode.ts";
import { FULL_LIMITS } from "../models/runtime/limits.ts";
import { type Segmentation, segment } from "../models/runtime/segment.ts";
import { labelsAtImageSize } from "../models/runtime/tensor.ts";
import { PROBABILITIES_CONTENT_TYPE } from "../protocol/jobs.ts";
import { type LocalQueue, startLocalQueue } from "../scripts/local-queue.ts";
import { jpeg, withExifOrientation } from "../test/fixtures/images.ts";
import { readPalettePngStrict } from "../test/fixtures/strict-png.ts";
import { EdgeStub } from "./test/edge-stub.ts";
import {
  decodeFile,
  gate,
  MODEL_PATH,
  nonEmpty,
  REPO,
  SAMPLE,
  send,
  sleep,
  startConsumer,
  type TestConsumer,
  testModel,
  waitFor,
} from "./test/harness.ts";

let queue: LocalQueue;
let edge: EdgeStub;
const consumers: TestConsumer[] = [];
let small: Uint8Array;

beforeAll(async () => {
  [small] = await Promise.all([jpeg(96, 64), testModel()]);
});

beforeEach(async () => {
  // A fresh emulator per test: no message or waiting poll leaks from one test to the next.
  queue = await startLocalQueue({ port: 0, maxReceiveCount: 2, visibilityTimeoutSeconds: 30 });
  edge = await new EdgeStub().start();
});

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop({ graceMs: 0, release: false })));
  await Promise.all([queue.stop(), edge.stop()]);
});

async function consumer(overrides: Parameters<typeof startConsumer>[2] = {}): Promise<TestConsumer> {
  const c = await startConsumer(queue, edge, overrides);
  consumers.push(c);
  return c;
}

const queueEmpty = async () => {
  const counts = await queue.counts(queue.queueUrl);
  return counts.visible === 0 && counts.inFlight === 0;
};

/**
 * Read a probabilities file as its documented format says (uint8 (C, H, W), round(255 * p)),
 * against a softmax computed here in float64 from the logits, not by the code that wrote it.
 * That needs the scores at the image's size; a model with an input scale scores an enlarged
 * image, and its file is then held to what any probabilities are: about 255 in all per pixel.
 */
function expectProbabilitiesFile(body: Uint8Array, expected: Segmentation, labels: Uint8Array) {
  const classes = 11;
  const plane = labels.length;
  const logits = expected.logits!;
  const atImageSize = expected.scoreSize.width * expected.scoreSize.height === plane;
  expect(body.length).toBe(classes * plane);
  let worst = 0;
  let argmaxMismatches = 0;
  for (let i = 0; i < plane; i++) {
    let best = 0;
    let total = 0;
    for (let c = 0; c < classes; c++) {
      if (body[c * plane + i] > body[best * plane + i]) best = c;
      total += body[c * plane + i];
    }
    if (best !== labels[i] && body[best * plane + i] !== body[labels[i] * plane + i]) argmaxMismatches++;
    if (!atImageSize) {
      worst = Math.max(worst, Math.abs(total - 255) / classes); // each class rounded by <= 0.5
      continue;
    }
    const z = Array.from({ length: classes }, (_, c) => logits[c * plane + i]);
    const top = Math.max(...z);
    const e = z.map((v) => Math.exp(v - top));
    const sum = e.reduce((a, b) => a + b, 0);
    for (let c = 0; c < classes; c++)
      worst = Math.max(worst, Math.abs(body[c * plane + i] - (255 * e[c]) / sum));
  }
  expect(worst).toBeLessThanOrEqual(0.5 + 1e-6); // rounding, nothing more
  expect(argmaxMismatches).toBe(0); // the mask is the most probable class (ties aside)
}

describe("a job", () => {
  it("writes the mask that segment() and `npx fcn predict` write, probabilities, and a signed callback", async () => {
    const bytes = new Uint8Array(await readFile(SAMPLE));
    edge.addJob("job-1", bytes);
    await send(queue, edge.message("job-1", { outputs: ["mask", "probabilities"] }));
    const c = await consumer();
    const [done] = await waitFor(
      () => nonEmpty(edge.accepted("job-1", "succeeded")),
      20_000,
      "the succeeded callback",
    );
    await waitFor(queueEmpty, 5000, "the message to be deleted");

    const model = await testModel();
    const image = await decodeFile(SAMPLE);
    const expected = await segment(model, image, { keepLogits: true });
    const [mask] = edge.putsFor("job-1", "mask");
    expect(mask.contentType).toBe("image/png");
    const png = readPalettePngStrict(mask.body);
    expect([png.width, png.height]).toEqual([480, 360]);
    expect(png.labels).toEqual(labelsAtImageSize(expected));
    expect(png.palette).toEqual(model.meta.classes.map((k) => k.color));

    // The same bytes as the CLI's file for the same image and model.
    const out = await mkdtemp(join(tmpdir(), "fcn-predict-"));
    try {
      await promisify(execFile)(
        process.execPath,
        [join(REPO, "cli/fcn.js"), "predict", "--model", MODEL_PATH, "--out", out, SAMPLE],
        { env: { ...process.env, OMP_NUM_THREADS: "1" } },
      );
      expect(new Uint8Array(await readFile(join(out, "0016E5_07959.png")))).toEqual(mask.body);
    } finally {
      await rm(out, { recursive: true, force: true });
    }

    const [probabilities] = edge.putsFor("job-1", "probabilities");
    expect(probabilities.contentType).toBe(PROBABILITIES_CONTENT_TYPE);
    expectProbabilitiesFile(probabilities.body, expected, png.labels);

    expect(done.status).toBe("succeeded");
    if (done.status !== "succeeded") return;
    expect(done.attempt).toBe(1);
    expect(done.result).toMatchObject({
      model: model.meta.id,
      width: 480,
      height: 360,
      outputs: ["mask", "probabilities"],
      provider: "cpu",
    });
    expect(done.result.class_fractions).toHaveLength(11);
    expect(done.result.class_fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(done.result.timings_ms.inference).toBeGreaterThan(0);
    // running first (best effort), progress reports between, then succeeded; every callback
    // passed the signature check
    const callbacks = edge.callbacksFor("job-1").map((r) => [r.callback.status, r.status]);
    expect(callbacks.filter(([status]) => status !== "progress")).toEqual([
      ["running", 200],
      ["succeeded", 200],
    ]);
    expect(callbacks.filter(([status]) => status === "progress").every(([, code]) => code === 200)).toBe(
      true,
    );
    expect(await c.metrics.jobsEnded("succeeded")).toBe(1);
    const stages = c.logs.filter((l) => l.msg === "stage").map((l) => l.stage);
    expect(stages).toEqual(["download", "decode", "inference", "upload", "callback", "delete"]);
    expect(c.logs.find((l) => l.stage === "inference")).toMatchObject({ job_id: "job-1", provider: "cpu" });
  });

  it("writes rle and overlay at the displayed size, each read by an independent decoder (issue #17)", async () => {
    // EXIF orientation 6: stored 480x360, shown (and segmented) 360x480.
    const bytes = withExifOrientation(new Uint8Array(await readFile(SAMPLE)), 6);
    edge.addJob("outs", bytes);
    await send(queue, edge.message("outs", { outputs: ["mask", "rle", "overlay"] }));
    await consumer();
    const [done] = await waitFor(() => nonEmpty(edge.accepted("outs", "succeeded")), 20_000, "succeeded");
    expect(done.status === "succeeded" && done.result.outputs).toEqual(["mask", "rle", "overlay"]);
    const { labels, width, height } = readPalettePngStrict(edge.putsFor("outs", "mask")[0].body);
    expect([width, height]).toEqual([360, 480]);
    const { classes } = (await testModel()).meta;

    // rle: pycocotools' decoding (transcribed in Python) gives back the mask's classes.
    const [rle] = edge.putsFor("outs", "rle");
    expect(rle.contentType).toBe("application/json");
    const doc = JSON.parse(new TextDecoder().decode(rle.body));
    expect(doc.size).toEqual([480, 360]);
    expect(doc.classes.map((c: { name: string }) => c.name)).toEqual(
      [...new Set(labels)].sort((a, b) => a - b).map((id) => classes[id].name),
    );
    const decoder = join(REPO, "test/fixtures/coco_rle_decode.py");
    const decoded = spawnSync("/usr/bin/python3", [decoder], {
      input: rle.body,
      encoding: "utf8",
      maxBuffer: 64 << 20, // a line of 0/1 digits per class and pixel
    });
    expect(decoded.status, decoded.stderr).toBe(0);
    for (const line of decoded.stdout.trim().split("\n")) {
      const [id, digits] = line.split(" ");
      let want = "";
      for (const label of labels) want += label === Number(id) ? "1" : "0";
      expect(digits === want, `class ${id}`).toBe(true);
    }

    // overlay: libvips (sharp) reads a JPEG of the upright image blended half and half.
    const [overlay] = edge.putsFor("outs", "overlay");
    expect(overlay.contentType).toBe("image/jpeg");
    const { data, info } = await sharp(overlay.body).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([360, 480, 3]);
    const image = upright(await decodeImage(bytes, FULL_LIMITS));
    let sum = 0;
    let far = 0;
    let unblended = 0; // the error had no colour been laid over the image
    for (let i = 0; i < labels.length; i++) {
      for (let c = 0; c < 3; c++) {
        const pixel = image.data[i * 4 + c];
        const error = Math.abs(data[i * 3 + c] - (pixel + classes[labels[i]].color[c]) / 2);
        sum += error;
        if (error > 24) far++;
        unblended += Math.abs(data[i * 3 + c] - pixel);
      }
    }
    const samples = labels.length * 3;
    expect(sum / samples).toBeLessThan(4); // JPEG at quality 85: 2.6 measured
    expect(far / samples).toBeLessThan(0.01); // at sharp class edges (chroma subsampling): 0.4%
    expect(unblended / samples).toBeGreaterThan(20);
  });

  it("runs shift-and-stitch when asked, at full size", async () => {
    edge.addJob("sas", small);
    await send(queue, edge.message("sas", { mode: "shift-and-stitch" }));
    await consumer();
    await waitFor(() => edge.accepted("sas", "succeeded").length, 20_000, "the succeeded callback");
    const png = readPalettePngStrict(edge.putsFor("sas", "mask")[0].body);
    const expected = await segment(await testModel(), await decodeImage(small, FULL_LIMITS), {
      mode: "shift-and-stitch",
    });
    expect([png.width, png.height]).toEqual([96, 64]);
    expect(png.labels).toEqual(labelsAtImageSize(expected));
    const learned = await segment(await testModel(), await decodeImage(small, FULL_LIMITS));
    expect(png.labels).not.toEqual(labelsAtImageSize(learned));
  });

  it("runs quality high (mirrored, three scales) when the message asks for it", async () => {
    edge.addJob("hq", small);
    await send(queue, edge.message("hq", { quality: "high" }));
    const c = await consumer();
    await waitFor(() => edge.accepted("hq", "succeeded").length, 20_000, "the succeeded callback");
    const png = readPalettePngStrict(edge.putsFor("hq", "mask")[0].body);
    const expected = await segment(await testModel(), await decodeImage(small, FULL_LIMITS), {
      quality: "high",
    });
    expect(png.labels).toEqual(labelsAtImageSize(expected));
    expect(c.logs.find((l) => l.msg === "job received")).toMatchObject({ job_id: "hq", quality: "high" });
  });

  it("runs same-size inputs as one onnxruntime batch with the results of one-by-one runs", async () => {
    const other = await jpeg(96, 64, { quality: 40 });
    edge.addJob("b1", small);
    edge.addJob("b2", other);
    await send(queue, edge.message("b1"));
    await send(queue, edge.message("b2"));
    const c = await consumer({ concurrency: 2, inference: { batchSize: 2, batchWindowMs: 200 } });
    await waitFor(() => edge.accepted("b1", "succeeded").length && edge.accepted("b2", "succeeded").length);
    expect(c.runs).toEqual([2]);
    const model = await testModel();
    for (const [id, bytes] of [
      ["b1", small],
      ["b2", other],
    ] as const) {
      const expected = await segment(model, await decodeImage(bytes, FULL_LIMITS));
      expect(readPalettePngStrict(edge.putsFor(id, "mask")[0].body).labels).toEqual(
        labelsAtImageSize(expected),
      );
    }
  });
});

describe("failures", () => {
  it("reports input errors as failed and deletes the message, without retrying", async () => {
    edge.addJob("garbage", new TextEncoder().encode("this is not an image"));
    edge.addJob("gone", small, { inputFailures: [404] });
    await send(queue, edge.message("garbage"));
    await send(queue, edge.message("gone"));
    const c = await consumer();
    const [garbage] = await waitFor(() => nonEmpty(edge.accepted("garbage", "failed")));
    const [gone] = await waitFor(() => nonEmpty(edge.accepted("gone", "failed")));
    await waitFor(queueEmpty, 5000, "both messages deleted");
    expect(garbage.status === "failed" && garbage.error.code).toBe("unsupported_media_type");
    expect(gone.status === "failed" && gone.error.code).toBe("input_unavailable");
    expect(edge.puts).toEqual([]);
    expect(await c.metrics.jobsEnded("failed")).toBe(2);
    expect(edge.inputGets.filter((id) => id === "gone")).toHaveLength(1);
  });

  it("retries a transient failure (5xx on the input) on redelivery", async () => {
    edge.addJob("flaky", small, { inputFailures: [503] });
    await send(queue, edge.message("flaky"));
    const c = await consumer();
    const [done] = await waitFor(() => nonEmpty(edge.accepted("flaky", "succeeded")), 20_000);
    expect(done.attempt).toBe(2);
    expect(await c.metrics.jobsEnded("retried")).toBe(1);
    await waitFor(queueEmpty, 5000, "the message to be deleted");
  });

  it("reports failure on the last attempt of a job that keeps failing, then redrive moves it to the DLQ", async () => {
    edge.addJob("down", small, { inputFailures: [503, 503, 503] });
    await send(queue, edge.message("down"));
    const c = await consumer({ maxReceives: 2 });
    await waitFor(
      async () => (await queue.counts(queue.dlqUrl)).visible === 1,
      15_000,
      "the message in the DLQ",
    );
    const [failed] = edge.accepted("down", "failed");
    expect(failed).toMatchObject({ attempt: 2, error: { code: "internal_error" } });
    expect(await c.metrics.jobsEnded("retried")).toBe(2);
  });

  it("fails a job whose signed URLs expired without fetching its input", async () => {
    edge.addJob("old", small);
    await send(queue, edge.message("old", { expiresAt: new Date(Date.now() - 1000) }));
    await consumer();
    const [failed] = await waitFor(() => nonEmpty(edge.accepted("old", "failed")));
    expect(failed).toMatchObject({ error: { code: "expired" } });
    await waitFor(queueEmpty, 5000, "the message to be deleted");
    expect(edge.inputGets).toEqual([]);
  });

  it("sends a message it cannot parse to the dead-letter queue after maxReceiveCount receives", async () => {
    await send(queue, "{ not json");
    await send(queue, {
      version: 99,
      job_id: "bad-version",
      callback: { url: `${edge.url}/jobs/bad-version/callback` },
    });
    edge.addJob("bad-version", small);
    const c = await consumer({ maxReceives: 2 });
    await waitFor(
      async () => (await queue.counts(queue.dlqUrl)).visible === 2,
      15_000,
      "two messages in the DLQ",
    );
    expect(await queueEmpty()).toBe(true);
    expect(await c.metrics.jobsEnded("poison")).toBe(4); // 2 messages x 2 receives
    // The one that names its job and callback got a failed callback (once accepted, then 409).
    const [failed] = edge.accepted("bad-version", "failed");
    expect(failed.status === "failed" && failed.error.code).toBe("invalid_job");
  });

  it("treats 409 from the edge as done: deletes the message without doing the work again", async () => {
    edge.addJob("finished", small, { status: "succeeded" });
    await send(queue, edge.message("finished"));
    const c = await consumer();
    await waitFor(() => c.metrics.jobsEnded("already_completed"), 10_000);
    await waitFor(queueEmpty, 5000, "the message to be deleted");
    expect(edge.puts).toEqual([]);
    expect(c.runs).toEqual([]);
  });
});

describe("redelivery and visibility", () => {
  it("a job left by a crashed consumer is redone by another, with one succeeded result", async () => {
    edge.addJob("crash", small);
    await send(queue, edge.message("crash"));
    const blocked = gate();
    const reached = gate();
    const first = await consumer({
      visibilityTimeoutSeconds: 1,
      heartbeatSeconds: 0.3,
      beforeStage: async (stage) => {
        if (stage === "upload") {
          reached.open();
          await blocked.promise;
        }
      },
    });
    await reached.promise;
    await first.stop({ graceMs: 0, release: false }); // a crash: no delete, no release, no heartbeat
    const second = await consumer({ visibilityTimeoutSeconds: 5 });
    const [done] = await waitFor(() => nonEmpty(edge.accepted("crash", "succeeded")), 20_000);
    blocked.open(); // the crashed one wakes up and must do nothing more
    await sleep(200);
    expect(done.attempt).toBe(2);
    expect(edge.accepted("crash", "succeeded")).toHaveLength(1);
    expect(edge.putsFor("crash", "mask")).toHaveLength(1);
    expect(await second.metrics.jobsEnded("succeeded")).toBe(1);
    await waitFor(queueEmpty, 5000, "the message to be deleted");
  });

  it("a job finished but not deleted before a crash is deleted on redelivery (409), not redone", async () => {
    edge.addJob("late", small);
    await send(queue, edge.message("late"));
    const reached = gate();
    const first = await consumer({
      visibilityTimeoutSeconds: 1,
      heartbeatSeconds: 0.3,
      beforeStage: async (stage) => {
        if (stage === "delete") {
          reached.open();
          await new Promise(() => {}); // never deletes
        }
      },
    });
    await reached.promise;
    await first.stop({ graceMs: 0, release: false });
    const second = await consumer({ visibilityTimeoutSeconds: 5 });
    await waitFor(() => second.metrics.jobsEnded("already_completed"), 15_000);
    await waitFor(queueEmpty, 5000, "the message to be deleted");
    expect(edge.accepted("late", "succeeded")).toHaveLength(1);
    expect(second.runs).toEqual([]);
  });

  it("extends the visibility of a job slower than the visibility timeout, so no one else receives it", async () => {
    edge.addJob("slow", small);
    await send(queue, edge.message("slow"));
    const slow = await consumer({
      visibilityTimeoutSeconds: 1,
      heartbeatSeconds: 0.3,
      beforeStage: (stage) => (stage === "inference" ? sleep(3000) : undefined),
    });
    await waitFor(() => slow.consumer.inFlight === 1, 5000, "the slow job to start");
    const other = await consumer({ visibilityTimeoutSeconds: 1 });
    const [done] = await waitFor(() => nonEmpty(edge.accepted("slow", "succeeded")), 20_000);
    expect(done.attempt).toBe(1);
    expect(other.logs.filter((l) => l.msg === "job received")).toEqual([]);
    expect(edge.inputGets).toEqual(["slow"]);
    await waitFor(queueEmpty, 5000, "the message to be deleted");
  });
});

describe("shutdown", () => {
  it("finishes a running job within the grace period, then stops", async () => {
    edge.addJob("drain", small);
    await send(queue, edge.message("drain"));
    const c = await consumer({ beforeStage: (stage) => (stage === "inference" ? sleep(800) : undefined) });
    await waitFor(() => c.consumer.inFlight === 1, 5000, "the job to start");
    await c.stop({ graceMs: 10_000 });
    expect(c.consumer.state).toBe("stopped");
    expect(edge.accepted("drain", "succeeded")).toHaveLength(1);
    expect(await queueEmpty()).toBe(true);
  });

  it("releases a job that does not finish within the grace period: visible again at once", async () => {
    edge.addJob("stuck", small);
    await send(queue, edge.message("stuck"));
    const blocked = gate();
    const c = await consumer({
      visibilityTimeoutSeconds: 30,
      beforeStage: (stage) => (stage === "inference" ? blocked.promise : undefined),
    });
    await waitFor(() => c.consumer.inFlight === 1, 5000, "the job to start");
    await c.stop({ graceMs: 200 });
    expect(await queue.counts(queue.queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    blocked.open();
    await sleep(200);
    expect(edge.accepted("stuck", "succeeded")).toEqual([]);
    expect(await c.metrics.jobsEnded("released")).toBe(1);
  });
});

describe("the client's deadline (Cancel-After)", () => {
  it("never runs a message whose deadline has passed: reported deadline_exceeded, then deleted", async () => {
    edge.addJob("late", small);
    await send(queue, edge.message("late", { cancelAfter: new Date(Date.now() - 1000) }));
    const c = await consumer();
    const [failed] = await waitFor(() => nonEmpty(edge.accepted("late", "failed")), 10_000, "the report");
    expect(failed).toMatchObject({ status: "failed", error: { code: "deadline_exceeded" } });
    await waitFor(queueEmpty, 5000, "the message to be deleted");
    expect(edge.inputGets).toEqual([]);
    expect(edge.callbacksFor("late", "running")).toEqual([]);
    expect(edge.puts).toEqual([]);
    expect(c.runs).toEqual([]);
  });

  it("stops a job whose deadline passes mid-job at its next stage: no inference, no outputs", async () => {
    edge.addJob("mid", small);
    await send(queue, edge.message("mid", { cancelAfter: new Date(Date.now() + 1500) }));
    const c = await consumer({ beforeStage: (stage) => (stage === "inference" ? sleep(2000) : undefined) });
    const [failed] = await waitFor(() => nonEmpty(edge.accepted("mid", "failed")), 15_000, "the report");
    expect(failed).toMatchObject({ error: { code: "deadline_exceeded" } });
    await waitFor(queueEmpty, 5000, "the message to be deleted");
    expect(edge.inputGets).toEqual(["mid"]); // it had started
    expect(c.runs).toEqual([]);
    expect(edge.puts).toEqual([]);
  });
});
