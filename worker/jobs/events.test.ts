/** GET /v1/jobs/{id}/events (issue #17): the job's changes as Server-Sent Events. */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { readSse, type SseEvent } from "../../cli/sse.ts";
import type { JobProgress } from "../../protocol/jobs.ts";
import { SLOT_RETRY_AFTER_S } from "../auth/concurrency.ts";
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
import { MAX_EVENT_STREAMS_PER_KEY } from "./events.ts";
import { getJob } from "./repo.ts";
import { Job } from "./schemas.ts";

const images = inject("images");
let key: string;

beforeAll(async () => {
  key = (await newKey("events")).key;
  await drainQueue();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const summary = resultSummary();

async function queuedJob() {
  const job = (await (await submit(key, fromBase64(images.png64x48))).json()) as JobJson;
  const [message] = (await drainQueue()).filter((m) => m.job_id === job.id);
  return { job, message };
}

const events = (id: string, apiKey = key) =>
  call(`/v1/jobs/${id}/events`, { headers: { authorization: `Bearer ${apiKey}` } });

const progress = (id: string, p: JobProgress) =>
  postCallback(id, { job_id: id, status: "progress", attempt: 1, ...p });

describe("GET /v1/jobs/{id}/events", () => {
  it("sends the job, then a status or progress event on every change, and ends after the final status", async () => {
    const { job, message } = await queuedJob();
    const r = await events(job.id);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const stream = readSse(r.body!);
    const next = async (): Promise<SseEvent & { job: ReturnType<typeof Job.parse> }> => {
      const { value, done } = await stream.next();
      expect(done).toBe(false);
      return { ...value!, job: Job.parse(JSON.parse(value!.data)) };
    };
    const first = await next();
    expect([first.event, first.job.status, first.job.progress]).toEqual(["status", "queued", null]);
    expect(first.retry).toBeGreaterThan(0);

    await postCallback(job.id, { job_id: job.id, status: "running", attempt: 1 });
    const running = await next();
    expect([running.event, running.job.status]).toEqual(["status", "running"]);

    await progress(job.id, { stage: "inferring", fraction: 0.3 });
    const moved = await next();
    expect([moved.event, moved.job.status, moved.job.progress]).toEqual([
      "progress",
      "running",
      { stage: "inferring", fraction: 0.3 },
    ]);

    await call(pathOf(message.outputs.mask!.url), { method: "PUT", body: new Uint8Array([1]) });
    await postCallback(job.id, { job_id: job.id, status: "succeeded", attempt: 1, result: summary });
    const done = await next();
    expect([done.event, done.job.status, done.job.progress]).toEqual([
      "status",
      "succeeded",
      { stage: "uploading", fraction: 1 },
    ]);
    expect(done.job.result?.mask_url).toContain(`/v1/jobs/${job.id}/outputs/mask`);
    expect((await stream.next()).done).toBe(true); // the stream ended by itself
  });

  it("of a job already final sends it once and ends", async () => {
    const { job } = await queuedJob();
    await call(`/v1/jobs/${job.id}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
    const seen: SseEvent[] = [];
    for await (const e of readSse((await events(job.id)).body!)) seen.push(e);
    expect(seen.map((e) => [e.event, JSON.parse(e.data).status])).toEqual([["status", "canceled"]]);
  });

  it("a client that drops the stream mid-way costs nothing: no error, and the job still completes", async () => {
    const errors = vi.spyOn(console, "error");
    const { job, message } = await queuedJob();
    const r = await events(job.id);
    const reader = r.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("event: status");
    await reader.cancel();
    await postCallback(job.id, { job_id: job.id, status: "running", attempt: 1 });
    await progress(job.id, { stage: "encoding", fraction: 0.9 });
    await call(pathOf(message.outputs.mask!.url), { method: "PUT", body: new Uint8Array([1]) });
    const succeeded = await postCallback(job.id, {
      job_id: job.id,
      status: "succeeded",
      attempt: 1,
      result: summary,
    });
    expect(succeeded.status).toBe(200);
    // longer than a poll: a stream still running would have read (and logged) by now
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await getJob(env.DB, job.id))?.status).toBe("succeeded");
    expect(errors).not.toHaveBeenCalled();
  });

  it("answers 404 for another key's job (as for a missing one) and 401 without a key", async () => {
    const { job } = await queuedJob();
    const other = (await newKey("events-other")).key;
    const r = await events(job.id, other);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect((await events("job_missing")).status).toBe(404);
    const anonymous = await call(`/v1/jobs/${job.id}/events`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
  });

  it("ends at the next poll once its key is revoked: nothing more is sent, no signed link (issue #29, finding 1)", async () => {
    const owner = await newKey("events-revoked");
    const mine = (await (await submit(owner.key, fromBase64(images.png64x48))).json()) as JobJson;
    const [mineMessage] = (await drainQueue()).filter((m) => m.job_id === mine.id);
    const stream = readSse((await events(mine.id, owner.key)).body!);
    expect((await stream.next()).value?.event).toBe("status");
    const revoked = await call(`/v1/admin/keys/${owner.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
    });
    expect(revoked.status).toBe(200);
    await postCallback(mine.id, { job_id: mine.id, status: "running", attempt: 1 });
    await call(pathOf(mineMessage.outputs.mask!.url), { method: "PUT", body: new Uint8Array([1]) });
    await postCallback(mine.id, { job_id: mine.id, status: "succeeded", attempt: 1, result: summary });
    const rest: SseEvent[] = [];
    for await (const e of stream) rest.push(e); // ends by itself: the key is gone
    expect(rest).toEqual([]);
    expect((await events(mine.id, owner.key)).status).toBe(401);
  });

  it(`lets a key hold ${MAX_EVENT_STREAMS_PER_KEY} streams open at once: one more is 429 until one ends (issue #29, finding 5)`, async () => {
    const holder = await newKey("events-cap");
    const job = (await (await submit(holder.key, fromBase64(images.png64x48))).json()) as JobJson;
    await drainQueue();
    const open = await Promise.all(
      Array.from({ length: MAX_EVENT_STREAMS_PER_KEY }, () => events(job.id, holder.key)),
    );
    expect(open.map((r) => r.status)).toEqual(Array(MAX_EVENT_STREAMS_PER_KEY).fill(200));
    const over = await events(job.id, holder.key);
    expect([over.status, over.headers.get("retry-after")]).toEqual([429, String(SLOT_RETRY_AFTER_S)]);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    // another key is not affected
    const mine = (await (await submit(key, fromBase64(images.png64x48))).json()) as JobJson;
    await drainQueue();
    const elsewhere = await events(mine.id);
    expect(elsewhere.status).toBe(200);
    await elsewhere.body?.cancel();
    // a client that closes its stream gives its slot back
    await open[0].body!.cancel();
    await vi.waitUntil(
      async () => {
        const r = await events(job.id, holder.key);
        if (r.status !== 200) {
          await r.body?.cancel();
          return false;
        }
        open[0] = r;
        return true;
      },
      { timeout: 5000, interval: 200 },
    );
    await Promise.all(open.map((r) => r.body?.cancel()));
  });
});
