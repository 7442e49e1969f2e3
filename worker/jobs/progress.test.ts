/** Progress reports from the GPU tier (issue #17): stored, shown, never backwards. */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { JobCallback, JobProgress } from "../../protocol/jobs.ts";
import {
  call,
  drainQueue,
  fromBase64,
  type JobJson,
  newKey,
  pathOf,
  postCallback,
  resultSummary,
  submit,
} from "../test/helpers.ts";
import { getJob } from "./repo.ts";
import { sweep } from "./service.ts";

const images = inject("images");
let key: string;

beforeAll(async () => {
  key = (await newKey("progress")).key;
  await drainQueue();
});

async function runningJob() {
  const job = (await (await submit(key, fromBase64(images.png64x48))).json()) as JobJson;
  const [message] = (await drainQueue()).filter((m) => m.job_id === job.id);
  expect((await postCallback(job.id, { job_id: job.id, status: "running", attempt: 1 })).status).toBe(200);
  return { job, message };
}

const report = (jobId: string, progress: JobProgress) =>
  postCallback(jobId, { job_id: jobId, status: "progress", attempt: 1, ...progress });

async function shown(jobId: string): Promise<{ status: string; progress: JobProgress | null }> {
  const r = await call(`/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${key}` } });
  return r.json();
}

const summary = resultSummary();

describe("progress reports", () => {
  it("are null while queued, stored and shown while running, stage of the end at fraction 1 once succeeded", async () => {
    const job = (await (await submit(key, fromBase64(images.png64x48))).json()) as JobJson & {
      progress: unknown;
    };
    expect(job.progress).toBeNull();
    const [message] = (await drainQueue()).filter((m) => m.job_id === job.id);
    // a report for a job not yet running is ignored
    expect((await report(job.id, { stage: "downloading", fraction: 0 })).status).toBe(200);
    expect((await shown(job.id)).progress).toBeNull();
    await postCallback(job.id, { job_id: job.id, status: "running", attempt: 1 });
    expect((await shown(job.id)).progress).toBeNull();
    expect((await report(job.id, { stage: "inferring", fraction: 0.4 })).status).toBe(200);
    expect(await shown(job.id)).toMatchObject({
      status: "running",
      progress: { stage: "inferring", fraction: 0.4 },
    });
    await call(pathOf(message.outputs.mask!.url), { method: "PUT", body: new Uint8Array([1]) });
    await postCallback(job.id, { job_id: job.id, status: "succeeded", attempt: 1, result: summary });
    expect(await shown(job.id)).toMatchObject({
      status: "succeeded",
      progress: { stage: "uploading", fraction: 1 },
    });
  });

  it("never move a job backwards: an earlier stage or a lower fraction is ignored", async () => {
    const { job } = await runningJob();
    await report(job.id, { stage: "inferring", fraction: 0.5 });
    expect((await report(job.id, { stage: "downloading", fraction: 0.6 })).status).toBe(200);
    expect((await report(job.id, { stage: "inferring", fraction: 0.3 })).status).toBe(200);
    expect((await shown(job.id)).progress).toEqual({ stage: "inferring", fraction: 0.5 });
    await report(job.id, { stage: "encoding", fraction: 0.9 });
    // a later stage with a lower fraction is out of order too
    await report(job.id, { stage: "uploading", fraction: 0.1 });
    expect((await shown(job.id)).progress).toEqual({ stage: "encoding", fraction: 0.9 });
  });

  it("on a final job are ignored (409 already_completed, as every callback) and change nothing", async () => {
    const { job } = await runningJob();
    await report(job.id, { stage: "inferring", fraction: 0.2 });
    await postCallback(job.id, {
      job_id: job.id,
      status: "failed",
      attempt: 1,
      error: { code: "unreadable_image", message: "bad" },
    });
    const late = await report(job.id, { stage: "uploading", fraction: 0.99 });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("already_completed");
    // a failed job keeps where it stopped
    expect(await shown(job.id)).toMatchObject({
      status: "failed",
      progress: { stage: "inferring", fraction: 0.2 },
    });
  });

  it("start over after the sweep hands the job back to the queue", async () => {
    const { job } = await runningJob();
    await report(job.id, { stage: "encoding", fraction: 0.9 });
    await sweep(env, Date.now() + 11 * 60 * 1000);
    expect(await shown(job.id)).toMatchObject({ status: "queued", progress: null });
    await drainQueue();
    await postCallback(job.id, { job_id: job.id, status: "running", attempt: 2 });
    await report(job.id, { stage: "downloading", fraction: 0.05 });
    expect((await shown(job.id)).progress).toEqual({ stage: "downloading", fraction: 0.05 });
  });

  it("with a bad signature are 401, with a bad body 400, and change nothing", async () => {
    const { job } = await runningJob();
    const cb: JobCallback = {
      job_id: job.id,
      status: "progress",
      attempt: 1,
      stage: "inferring",
      fraction: 0.5,
    };
    expect((await postCallback(job.id, cb, { secret: "whsec_d3Jvbmctc2VjcmV0" })).status).toBe(401);
    const bad: unknown[] = [
      { job_id: job.id, status: "progress", attempt: 1, stage: "dreaming", fraction: 0.5 },
      { job_id: job.id, status: "progress", attempt: 1, stage: "inferring", fraction: 1.5 },
      { job_id: job.id, status: "progress", attempt: 1, stage: "inferring", fraction: -0.1 },
      { job_id: job.id, status: "progress", attempt: 1, stage: "inferring" },
      { job_id: job.id, status: "progress", attempt: 1, fraction: 0.5 },
      { job_id: job.id, status: "progress", stage: "inferring", fraction: 0.5 },
    ];
    for (const body of bad) {
      const r = await postCallback(job.id, body as JobCallback);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
    }
    const row = await getJob(env.DB, job.id);
    expect([row?.status, row?.progress_stage]).toEqual(["running", null]);
  });
});
