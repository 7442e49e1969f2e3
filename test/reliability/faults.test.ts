/**
 * Faults, end to end on one machine. The system runs as separate processes so each part can
 * be killed on its own: the local SQS (fauxqs, in this process), `wrangler dev` and
 * `node gpu-service/main.ts` (visibility timeout 5 s, heartbeat 2 s, retry backoff 1 s).
 * A webhook receiver on 127.0.0.1 checks every delivery with the `standardwebhooks` package.
 *
 *   (a)+(b) the GPU service SIGKILLed during inference: the message comes back after its
 *           visibility timeout, a new GPU service finishes the job exactly once (attempts >= 2)
 *   (c)     the webhook receiver answers 500 three times: delivered on the 4th attempt
 *   (d)     the Worker (wrangler dev + workerd) SIGKILLed during inference and started again
 *           on the same state: the GPU service retries and the job completes
 *   (e)     storage and queue faults: the input lost from R2 (its blob deleted) -> failed with a
 *           recorded reason; SQS down at submit -> the job waits as queued, the cron sweep
 *           sends it again; the GPU service down at submit -> done when it is back
 * After all of them: every accepted job is final, exactly once, none left in the queue or DLQ.
 * Observations go to test/artifacts/reliability/faults.json for docs/RELIABILITY.md.
 */
import { readdirSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpeg } from "../fixtures/images.ts";
import {
  type ApiKey,
  ARTIFACTS,
  type JobJson,
  killGroup,
  PartsSystem,
  pngSize,
  sleep,
  stopGroup,
  WebhookReceiver,
  waitFor,
} from "../fixtures/system.ts";

let system: PartsSystem;
let receiver: WebhookReceiver;
let key: ApiKey;
let big: Uint8Array;
let small: Uint8Array;
const accepted: string[] = [];
const observations: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  const started = performance.now();
  [system, receiver] = await Promise.all([
    PartsSystem.start({ testScheduled: true }),
    WebhookReceiver.start(),
  ]);
  key = await system.api.newKey("faults");
  receiver.trust(key.webhook_secret);
  // ~2 s of single-threaded inference here: long enough to kill something in the middle.
  big = await jpeg(2048, 1536, { quality: 70, progressive: false });
  small = await jpeg(96, 64, { progressive: false });
  console.log(`[faults] system up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}, 180_000);

afterAll(async () => {
  await mkdir(path.join(ARTIFACTS, "reliability"), { recursive: true });
  await writeFile(path.join(ARTIFACTS, "reliability/faults.json"), JSON.stringify(observations, null, 2));
  if (system) await writeFile(path.join(ARTIFACTS, "reliability/faults-system.log"), system.allLogs());
  await receiver?.close();
  await system?.stop();
}, 60_000);

async function submit(image: Uint8Array, webhook = true): Promise<JobJson> {
  const job = await system.api.submitOk(key.key, image, webhook ? { webhook_url: receiver.url } : {});
  accepted.push(job.id);
  return job;
}

/** Resolves once the current GPU service has decoded the job's input (inference starts next). */
function inferenceStarted(jobId: string): Promise<true> {
  const gpu = system.gpu;
  return waitFor(
    `inference of ${jobId}`,
    () =>
      system.gpuLog(gpu).some((l) => l.job_id === jobId && l.msg === "stage" && l.stage === "decode") ||
      undefined,
    90_000,
    20,
  );
}

/**
 * Waits for `n` webhook requests for the job and for the Worker to have recorded the last one
 * as delivered. A late duplicate is caught by the last test, which counts every job's
 * deliveries at the receiver after all the faults (instead of a pause after each webhook).
 */
async function webhooksFor(jobId: string, n: number, ms = 60_000) {
  await waitFor(`${n} webhook(s) for ${jobId}`, () => receiver.forJob(jobId).length >= n, ms, 200);
  await waitFor(
    `the delivery of ${jobId}'s webhook to be recorded`,
    async () => (await system.api.deliveries(key.key, jobId)).some((d) => d.outcome === "delivered"),
    ms,
    200,
  );
  return receiver.forJob(jobId);
}

describe("faults", () => {
  it("(a) GPU service SIGKILLed during inference: redelivered, finished exactly once", async () => {
    const t0 = performance.now();
    const job = await submit(big);
    const first = system.gpu!;
    await inferenceStarted(job.id);
    await killGroup(first);
    const during = await system.api.job(key.key, job.id);
    expect(during.status).toBe("running");
    expect(system.gpuLog(first).some((l) => l.job_id === job.id && l.msg === "job finished")).toBe(false);
    await system.startGpu();
    const final = await system.api.waitFinal(key.key, job.id);
    expect(final.status).toBe("succeeded");
    expect(final.attempts).toBeGreaterThanOrEqual(2);
    expect([final.result!.width, final.result!.height]).toEqual([2048, 1536]);
    const redelivered = system.gpuLog().find((l) => l.job_id === job.id && l.msg === "job received");
    expect(Number(redelivered?.attempt)).toBeGreaterThanOrEqual(2);

    const hooks = await webhooksFor(job.id, 1);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ type: "job.succeeded", verified: true, answered: 200 });
    const deliveries = await system.api.deliveries(key.key, job.id);
    expect(deliveries.map((d) => [d.webhook_id, d.outcome])).toEqual([[hooks[0].id, "delivered"]]);
    await waitFor(
      "the message to be deleted",
      async () => {
        const q = await system.queue.counts(system.queue.queueUrl);
        return q.visible + q.inFlight === 0;
      },
      20_000,
    );
    observations.gpu_killed = {
      job: job.id,
      status: final.status,
      attempts: final.attempts,
      redelivered_attempt: redelivered?.attempt,
      webhooks: hooks.length,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
  }, 150_000);

  it("(c) webhook receiver down (500 x3) then back: delivered on the 4th attempt", async () => {
    const t0 = performance.now();
    receiver.plan = [500, 500, 500];
    const job = await submit(small);
    const final = await system.api.waitFinal(key.key, job.id);
    expect(final.status).toBe("succeeded");
    const hooks = await webhooksFor(job.id, 4);
    expect(hooks.map((h) => h.answered)).toEqual([500, 500, 500, 200]);
    expect(new Set(hooks.map((h) => h.id)).size).toBe(1); // one webhook-id across retries
    expect(hooks.every((h) => h.verified && h.type === "job.succeeded")).toBe(true);
    const deliveries = await system.api.deliveries(key.key, job.id);
    expect(deliveries.map((d) => [d.attempt, d.outcome, d.status_code])).toEqual([
      [1, "failed", 500],
      [2, "failed", 500],
      [3, "failed", 500],
      [4, "delivered", 200],
    ]);
    observations.webhook_receiver_down = {
      job: job.id,
      answers: hooks.map((h) => h.answered),
      deliveries: deliveries.map((d) => d.outcome),
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
  }, 120_000);

  it("(d) Worker SIGKILLed during inference and restarted on the same state: the job completes", async () => {
    const t0 = performance.now();
    const job = await submit(big);
    await inferenceStarted(job.id);
    const gpu = system.gpu;
    await killGroup(system.worker!);
    const down = performance.now();
    await system.startWorker();
    const restartSeconds = (performance.now() - down) / 1000;
    const final = await system.api.waitFinal(key.key, job.id, 120_000);
    expect(final.status).toBe("succeeded");
    // Whatever the GPU service met (normally the dead Worker at upload time: ECONNREFUSED), it
    // kept the message and retried: never a failed or given-up job, one success.
    // The job's row turns final at the callback; the GPU service logs "job finished" just after.
    const finished = () => system.gpuLog(gpu).filter((l) => l.job_id === job.id && l.msg === "job finished");
    await waitFor(
      `the GPU service's last log line for ${job.id}`,
      () => finished().some((l) => l.outcome !== "retried"),
      30_000,
    );
    const lines = finished();
    const metDeadWorker = lines.some((l) => l.outcome === "retried");
    expect(lines.map((l) => l.outcome).filter((o) => o !== "retried")).toEqual(["succeeded"]);
    const mask = await system.api.fetch(
      new URL(final.result!.mask_url).pathname + new URL(final.result!.mask_url).search,
    );
    expect(mask.status).toBe(200);
    expect(pngSize(new Uint8Array(await mask.arrayBuffer()))).toEqual([2048, 1536]);
    const hooks = await webhooksFor(job.id, 1);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ type: "job.succeeded", verified: true });
    observations.worker_restarted = {
      job: job.id,
      status: final.status,
      gpu_attempts: lines.length,
      met_dead_worker: metDeadWorker,
      worker_down_seconds: Number(restartSeconds.toFixed(1)),
      webhooks: hooks.length,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
  }, 200_000);

  it("(e) input lost from R2: failed with a recorded reason; GPU service down at submit: done when back", async () => {
    const t0 = performance.now();
    await stopGroup(system.gpu);
    const blobs = path.join(system.state, "v3/r2/fcn-jobs/blobs");
    const before = new Set(readdirSync(blobs));
    const lost = await submit(small);
    const lostBlobs = readdirSync(blobs).filter((f) => !before.has(f));
    expect(lostBlobs).toHaveLength(1); // the input
    for (const f of lostBlobs) rmSync(path.join(blobs, f));
    const intact = await submit(small);
    expect((await system.api.job(key.key, intact.id)).status).toBe("queued");
    await system.startGpu();
    const [lostFinal, intactFinal] = await Promise.all([
      system.api.waitFinal(key.key, lost.id),
      system.api.waitFinal(key.key, intact.id),
    ]);
    expect(lostFinal.status).toBe("failed");
    expect(lostFinal.error?.code).toBe("input_unavailable");
    expect(intactFinal.status).toBe("succeeded");
    const hooks = await webhooksFor(lost.id, 1);
    expect(hooks.map((h) => [h.type, h.verified])).toEqual([["job.failed", true]]);
    observations.input_lost = {
      job: lost.id,
      status: lostFinal.status,
      error: lostFinal.error,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
    observations.gpu_down_at_submit = { job: intact.id, status: intactFinal.status };
  }, 120_000);

  it("(e) SQS down at submit: 202 and queued; the cron sweep sends it again once SQS is back", async () => {
    const t0 = performance.now();
    await system.stopQueue();
    const job = await submit(small);
    expect(job.status).toBe("queued");
    // nothing to wait for: with SQS down the job must stay queued; a short look for a change
    await sleep(500);
    expect((await system.api.job(key.key, job.id)).status).toBe("queued");
    await system.startQueue();
    await system.runSweep();
    const final = await system.api.waitFinal(key.key, job.id, 90_000);
    expect(final.status).toBe("succeeded");
    expect(await webhooksFor(job.id, 1)).toHaveLength(1);
    observations.sqs_down_at_submit = {
      job: job.id,
      status: final.status,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
  }, 150_000);

  it("no accepted job is lost: every one is final, with one webhook each, and the queues are empty", async () => {
    const jobs = await Promise.all(accepted.map((id) => system.api.job(key.key, id)));
    expect(jobs.map((j) => j.status).every((s) => s === "succeeded" || s === "failed")).toBe(true);
    for (const j of jobs) if (j.status === "failed") expect(j.error?.code).toBeTruthy();
    for (const j of jobs) {
      const delivered = (await system.api.deliveries(key.key, j.id)).filter((d) => d.outcome === "delivered");
      expect(delivered, j.id).toHaveLength(1);
      // and the receiver accepted exactly one request for it, all faults long past
      expect(
        receiver.forJob(j.id).filter((h) => h.answered < 300),
        j.id,
      ).toHaveLength(1);
    }
    const [queue, dlq] = await Promise.all([
      system.queue.counts(system.queue.queueUrl),
      system.queue.counts(system.queue.dlqUrl),
    ]);
    expect(queue).toEqual({ visible: 0, inFlight: 0 });
    expect(dlq).toEqual({ visible: 0, inFlight: 0 });
    const health = await fetch(`${system.gpuUrl}/healthz`);
    expect(health.status).toBe(200);
    observations.summary = {
      accepted: jobs.length,
      succeeded: jobs.filter((j) => j.status === "succeeded").length,
      failed: jobs.filter((j) => j.status === "failed").length,
    };
  }, 60_000);
});
