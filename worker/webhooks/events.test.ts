/** The job.started and job.canceled webhooks (issue #17): enqueued, delivered, verifiable. */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { JobCallback } from "../../protocol/jobs.ts";
import { getJob, type JobRow } from "../jobs/repo.ts";
import { applyCallback, cancelJob, cancelOverdue, outputKey } from "../jobs/service.ts";
import { drainQueue, fromBase64, type JobJson, newKey, resultSummary, submit } from "../test/helpers.ts";
import { handleWebhookBatch } from "./consumer.ts";
import type { WebhookTask } from "./enqueue.ts";

const images = inject("images");
let apiKey: { key: string; webhook_secret: string };

beforeAll(async () => {
  apiKey = await newKey("webhook-events");
  await drainQueue();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The env with a webhook queue that only records what is sent to it. */
function recordingEnv(): { env: Env; sent: WebhookTask[] } {
  const sent: WebhookTask[] = [];
  const WEBHOOKS = {
    send: async (task: WebhookTask) => {
      sent.push(task);
    },
  } as unknown as Queue<WebhookTask>;
  return { env: { ...env, WEBHOOKS }, sent };
}

async function queuedJob(fields: Record<string, string>): Promise<JobRow> {
  const job = (await (
    await submit(apiKey.key, fromBase64(images.png64x48), {
      webhook_url: "https://hooks.example.com/fcn",
      ...fields,
    })
  ).json()) as JobJson;
  await drainQueue();
  return (await getJob(env.DB, job.id))!;
}

/** Run the consumer on `task` with fetch captured: the delivered body and headers, if any. */
async function consume(task: WebhookTask) {
  let seen: { body: string; headers: Record<string, string> } | undefined;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
    seen = { body: String(init?.body), headers: Object.fromEntries(new Headers(init?.headers).entries()) };
    return new Response("ok");
  });
  const batch = createMessageBatch<WebhookTask>("fcn-webhooks", [
    { id: "m1", timestamp: Date.now(), attempts: 1, body: task },
  ]);
  await handleWebhookBatch(batch, env);
  const outcome = await getQueueResult(batch, createExecutionContext());
  vi.restoreAllMocks();
  return { seen, outcome };
}

/** The delivery, verified with the standardwebhooks library. */
function verified(seen: { body: string; headers: Record<string, string> } | undefined) {
  expect(seen).toBeDefined();
  return new Webhook(apiKey.webhook_secret).verify(seen!.body, seen!.headers) as {
    type: string;
    data: { id: string; status: string; error: { code: string } | null };
  };
}

const running = (row: JobRow, attempt = 1): JobCallback => ({ job_id: row.id, status: "running", attempt });

describe("job.started", () => {
  it("is sent once, when the GPU tier first takes the job, and verifies as Standard Webhooks", async () => {
    const row = await queuedJob({ webhook_events: "job.started,job.succeeded" });
    const { env: recording, sent } = recordingEnv();
    expect(await applyCallback(recording, row, running(row))).toBe("applied");
    // a second running report (a redelivery, a second attempt) does not start it again
    await applyCallback(recording, (await getJob(env.DB, row.id))!, running(row, 2));
    expect(sent).toEqual([{ job_id: row.id, event: "job.started", webhook_id: `msg_${row.id}_started` }]);
    const { seen, outcome } = await consume(sent[0]);
    const payload = verified(seen);
    expect(payload).toMatchObject({ type: "job.started", data: { id: row.id, status: "running" } });
    expect(seen!.headers["webhook-id"]).toBe(`msg_${row.id}_started`);
    expect(outcome.retryMessages).toEqual([]);
    // delivered once: the same message again is dropped
    expect((await consume(sent[0])).seen).toBeUndefined();
  });

  it("is sent with the ending when the running report was lost and the job succeeded", async () => {
    const row = await queuedJob({ webhook_events: "job.started,job.succeeded" });
    await env.BUCKET.put(outputKey(row.id, "mask"), new Uint8Array([1]));
    const { env: recording, sent } = recordingEnv();
    const result = resultSummary();
    expect(
      await applyCallback(recording, row, { job_id: row.id, status: "succeeded", attempt: 1, result }),
    ).toBe("applied");
    expect(sent.map((t) => t.event)).toEqual(["job.started", "job.succeeded"]);
    const payload = verified((await consume(sent[0])).seen);
    expect(payload).toMatchObject({ type: "job.started", data: { id: row.id, status: "succeeded" } });
  });

  it("is not sent by default: the default events stay job.succeeded and job.failed", async () => {
    const row = await queuedJob({});
    expect(JSON.parse(row.webhook_events)).toEqual(["job.succeeded", "job.failed"]);
    const { env: recording, sent } = recordingEnv();
    await applyCallback(recording, row, running(row));
    expect(sent).toEqual([]);
  });

  it("waits while its transition is pending, and is dropped for a job that ended without starting", async () => {
    const row = await queuedJob({ webhook_events: "job.started" });
    const task: WebhookTask = { job_id: row.id, event: "job.started", webhook_id: `msg_${row.id}_started` };
    const pending = await consume(task);
    expect([pending.seen, pending.outcome.retryMessages.length]).toEqual([undefined, 1]);
    await cancelJob(recordingEnv().env, row);
    const dropped = await consume(task);
    expect([dropped.seen, dropped.outcome.explicitAcks]).toEqual([undefined, ["m1"]]);
  });
});

describe("job.canceled", () => {
  it("is sent when a queued job is canceled (DELETE)", async () => {
    const row = await queuedJob({ webhook_events: "job.canceled" });
    const { env: recording, sent } = recordingEnv();
    expect(await cancelJob(recording, row)).toBe(true);
    expect(sent.map((t) => t.event)).toEqual(["job.canceled"]);
    const payload = verified((await consume(sent[0])).seen);
    expect(payload).toMatchObject({ type: "job.canceled", data: { id: row.id, status: "canceled" } });
  });

  it("is sent when the job's Cancel-After passes, with the reason", async () => {
    const row = await queuedJob({ webhook_events: "job.started,job.canceled", deadline_s: "60" });
    const { env: recording, sent } = recordingEnv();
    await applyCallback(recording, row, running(row));
    const started = (await getJob(env.DB, row.id))!;
    expect(await cancelOverdue(recording, started, Date.now() + 120_000)).toBe(true);
    expect(sent.map((t) => t.event)).toEqual(["job.started", "job.canceled"]);
    const payload = verified((await consume(sent[1])).seen);
    expect(payload).toMatchObject({
      type: "job.canceled",
      data: { id: row.id, status: "canceled", error: { code: "deadline_exceeded" } },
    });
    // job.started is still delivered after the job ended: it did start
    expect(verified((await consume(sent[0])).seen).type).toBe("job.started");
  });

  it("is not enqueued for a running job that DELETE cannot cancel", async () => {
    const row = await queuedJob({ webhook_events: "job.canceled" });
    await applyCallback(recordingEnv().env, row, running(row));
    const { env: recording, sent } = recordingEnv();
    expect(await cancelJob(recording, (await getJob(env.DB, row.id))!)).toBe(false);
    expect(sent).toEqual([]);
  });
});
