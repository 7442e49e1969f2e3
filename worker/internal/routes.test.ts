import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  type JobCallback,
  MAX_OUTPUT_PARTS,
  OUTPUT_PART_BYTES,
  PROBABILITIES_CONTENT_TYPE,
  type UploadedPart,
} from "../../protocol/jobs.ts";
import { getJob } from "../jobs/repo.ts";
import { sweep } from "../jobs/service.ts";
import { signUrl } from "../jobs/signed-urls.ts";
import { MAX_DISPATCHES } from "../jobs/state.ts";
import {
  BASE,
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

const images = inject("images");
let key: string;

beforeAll(async () => {
  key = (await newKey("internal")).key;
  await drainQueue();
});

async function queuedJob(fields: Record<string, string> = {}) {
  const job = (await (await submit(key, fromBase64(images.png64x48), fields)).json()) as JobJson;
  const [message] = (await drainQueue()).filter((m) => m.job_id === job.id);
  return { job, message };
}

const summary = resultSummary;

describe("signed URLs", () => {
  it("let the GPU tier read the input and write outputs for that job only", async () => {
    const { job, message } = await queuedJob();
    const input = await call(pathOf(message.input.url));
    expect(input.status).toBe(200);
    expect(new Uint8Array(await input.arrayBuffer())).toEqual(fromBase64(images.png64x48));
    const put = await call(pathOf(message.outputs.mask!.url), {
      method: "PUT",
      body: new Uint8Array([1, 2, 3]),
      headers: { "content-type": "image/png" },
    });
    expect(put.status).toBe(204);
    // the same signature on another job's path, or with another method, is refused
    const other = await queuedJob();
    const swapped = pathOf(message.input.url).replace(job.id, other.job.id);
    expect((await call(swapped)).status).toBe(403);
    expect((await call(pathOf(message.input.url), { method: "PUT", body: "x" })).status).toBe(404);
    expect((await call(pathOf(message.outputs.mask!.url))).status).toBe(404);
    expect((await call(`/internal/jobs/${job.id}/input`)).status).toBe(403);
  });

  it("expire", async () => {
    const { job } = await queuedJob();
    const expired = await signUrl(
      env.URL_SIGNING_SECRET,
      BASE,
      "GET",
      `/internal/jobs/${job.id}/input`,
      60,
      Date.now() - 3_600_000,
    );
    const r = await call(pathOf(expired.url));
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("url_expired");
  });
});

describe("outputs larger than one request (issue #15: 40 MP probabilities)", () => {
  const MiB = 1024 * 1024;
  const filled = (n: number, value: number) => new Uint8Array(n).fill(value);
  const withQuery = (url: string, query: string) => `${pathOf(url)}&${query}`;

  it("streams a multipart upload into storage: equal parts, a shorter last one", async () => {
    const { job, message } = await queuedJob({ outputs: "mask,probabilities" });
    const url = message.outputs.probabilities!.url;
    const created = await call(withQuery(url, "uploads"), {
      method: "POST",
      headers: { "content-type": PROBABILITIES_CONTENT_TYPE },
    });
    expect(created.status).toBe(200);
    const { upload_id } = (await created.json()) as { upload_id: string };
    const parts: UploadedPart[] = [];
    for (const [n, body] of [filled(5 * MiB, 1), filled(5 * MiB, 2), filled(3, 3)].entries()) {
      const r = await call(withQuery(url, `upload_id=${upload_id}&part_number=${n + 1}`), {
        method: "PUT",
        body,
        headers: { "content-length": String(body.byteLength) },
      });
      expect(r.status).toBe(200);
      parts.push((await r.json()) as UploadedPart);
    }
    // the output does not exist before the upload completes
    expect(await env.BUCKET.head(`outputs/${job.id}/probabilities`)).toBeNull();
    const done = await call(withQuery(url, `upload_id=${upload_id}`), {
      method: "POST",
      body: JSON.stringify({ parts }),
    });
    expect(done.status).toBe(204);
    const stored = await env.BUCKET.get(`outputs/${job.id}/probabilities`);
    expect(stored?.size).toBe(10 * MiB + 3);
    expect(stored?.httpMetadata?.contentType).toBe(PROBABILITIES_CONTENT_TYPE);
    const bytes = new Uint8Array(await stored!.arrayBuffer());
    expect([bytes[0], bytes[5 * MiB], bytes[10 * MiB + 2]]).toEqual([1, 2, 3]);
  });

  it("refuses a body without a length or over one part, a bad part number, and aborts", async () => {
    const { message } = await queuedJob({ outputs: "mask,probabilities" });
    const url = message.outputs.probabilities!.url;
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array([1]));
        c.close();
      },
    });
    const chunked = await call(pathOf(url), { method: "PUT", body: stream });
    expect(chunked.status).toBe(411);
    const huge = await call(pathOf(url), {
      method: "PUT",
      body: new Uint8Array([1]),
      headers: { "content-length": String(OUTPUT_PART_BYTES + 1) },
    });
    expect(huge.status).toBe(413);
    const { upload_id } = (await (await call(withQuery(url, "uploads"), { method: "POST" })).json()) as {
      upload_id: string;
    };
    const bad = await call(withQuery(url, `upload_id=${upload_id}&part_number=${MAX_OUTPUT_PARTS + 1}`), {
      method: "PUT",
      body: new Uint8Array([1]),
      headers: { "content-length": "1" },
    });
    expect(bad.status).toBe(400);
    expect((await call(withQuery(url, `upload_id=${upload_id}`), { method: "DELETE" })).status).toBe(204);
    // another job's upload URL cannot be used with this signature
    expect(
      (await call(withQuery(url, "uploads").replace(message.job_id, "job_other"), { method: "POST" })).status,
    ).toBe(403);
  });
});

describe("callbacks and state transitions", () => {
  it("queued -> running -> succeeded, with result links that download the mask", async () => {
    const { job, message } = await queuedJob();
    expect((await postCallback(job.id, { job_id: job.id, status: "running", attempt: 1 })).status).toBe(200);
    expect((await getJob(env.DB, job.id))?.status).toBe("running");
    await call(pathOf(message.outputs.mask!.url), {
      method: "PUT",
      body: new Uint8Array([9, 9]),
      headers: { "content-type": "image/png" },
    });
    expect(
      (await postCallback(job.id, { job_id: job.id, status: "succeeded", attempt: 1, result: summary() }))
        .status,
    ).toBe(200);
    const view = (await (
      await call(`/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as JobJson & { started_at: string; finished_at: string };
    expect(view.status).toBe("succeeded");
    expect(view.started_at && view.finished_at).toBeTruthy();
    const mask = await call(pathOf(view.result!.mask_url));
    expect(new Uint8Array(await mask.arrayBuffer())).toEqual(new Uint8Array([9, 9]));
    // the link is bound to its output: tampering fails
    expect((await call(pathOf(view.result!.mask_url).replace("/mask?", "/probabilities?"))).status).toBe(403);
  });

  it("a finished job takes no more work: a second success, writes and input reads answer 409", async () => {
    const { job, message } = await queuedJob();
    await call(pathOf(message.outputs.mask!.url), { method: "PUT", body: new Uint8Array([1]) });
    await postCallback(job.id, { job_id: job.id, status: "succeeded", attempt: 1, result: summary() });
    const again = await postCallback(job.id, {
      job_id: job.id,
      status: "succeeded",
      attempt: 2,
      result: summary(),
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe("already_completed");
    expect(
      (await call(pathOf(message.outputs.mask!.url), { method: "PUT", body: new Uint8Array([2]) })).status,
    ).toBe(409);
    expect((await call(pathOf(message.input.url))).status).toBe(409);
  });

  it("refuses success before the outputs exist", async () => {
    const { job } = await queuedJob();
    const r = await postCallback(job.id, {
      job_id: job.id,
      status: "succeeded",
      attempt: 1,
      result: summary(),
    });
    expect(r.status).toBe(409);
    expect((await getJob(env.DB, job.id))?.status).toBe("queued");
  });

  it("records failures with their reason", async () => {
    const { job } = await queuedJob();
    await postCallback(job.id, {
      job_id: job.id,
      status: "failed",
      attempt: 1,
      error: { code: "unreadable_image", message: "bad" },
    });
    const row = await getJob(env.DB, job.id);
    expect([row?.status, row?.error_code]).toEqual(["failed", "unreadable_image"]);
  });

  // Issue #15 finding 5: a signed `failed` callback without `error` answered 500.
  it("answers 400 to a signed callback of the wrong shape and changes nothing", async () => {
    const { job } = await queuedJob();
    const bad: unknown[] = [
      { job_id: job.id, status: "failed", attempt: 1 },
      { job_id: job.id, status: "failed", attempt: 1, error: "boom" },
      { job_id: job.id, status: "failed", attempt: 1, error: { code: 7, message: "x" } },
      { job_id: job.id, status: "succeeded", attempt: 1 },
      { job_id: job.id, status: "succeeded", attempt: 1, result: { ...summary(), outputs: "mask" } },
      { job_id: job.id, status: "succeeded", attempt: 1, result: { ...summary(), width: -1 } },
      { job_id: job.id, status: "running" },
      { job_id: job.id, status: "running", attempt: "1" },
      { job_id: job.id, status: "exploded", attempt: 1 },
      { status: "running", attempt: 1 },
      [],
      null,
      "running",
    ];
    for (const body of bad) {
      const r = await postCallback(job.id, body as JobCallback);
      const answer = (await r.json()) as { error: { code: string; message: string } };
      expect([JSON.stringify(body), r.status, answer.error.code]).toEqual([
        JSON.stringify(body),
        400,
        // a body naming no job or another job is a mismatch; the rest are invalid
        expect.stringMatching(/^(invalid_request|job_mismatch)$/),
      ]);
    }
    expect((await getJob(env.DB, job.id))?.status).toBe("queued");
  });

  it("rejects a bad signature, a replay, a stale timestamp and the wrong job", async () => {
    const { job } = await queuedJob();
    const cb: JobCallback = { job_id: job.id, status: "running", attempt: 1 };
    expect((await postCallback(job.id, cb, { secret: "whsec_d3Jvbmctc2VjcmV0" })).status).toBe(401);
    expect((await postCallback(job.id, cb, { now: Date.now() - 3_600_000 })).status).toBe(401);
    const other = await queuedJob();
    const mismatch = await postCallback(other.job.id, cb);
    expect(mismatch.status).toBe(400);
    // replay: the same signed request twice
    const body = JSON.stringify(cb);
    const { signWebhook } = await import("../../protocol/standard-webhooks.ts");
    const headers = {
      "content-type": "application/json",
      ...signWebhook(env.CALLBACK_SECRET, crypto.randomUUID(), body),
    };
    expect((await call(`/internal/jobs/${job.id}/callback`, { method: "POST", body, headers })).status).toBe(
      200,
    );
    const replay = await call(`/internal/jobs/${job.id}/callback`, { method: "POST", body, headers });
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe("replayed_callback");
  });

  it("a canceled job refuses the GPU tier", async () => {
    const { job, message } = await queuedJob();
    await call(`/v1/jobs/${job.id}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
    const r = await call(pathOf(message.input.url));
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("job_canceled");
  });
});

describe("the sweep", () => {
  it("hands a stuck running job back to the queue, then fails it after the last attempt", async () => {
    const { job } = await queuedJob();
    await postCallback(job.id, { job_id: job.id, status: "running", attempt: 1 });
    const later = Date.now() + 11 * 60_000;
    const first = await sweep(env, later);
    expect(first.requeued).toBeGreaterThanOrEqual(1);
    expect((await getJob(env.DB, job.id))?.status).toBe("queued");
    expect((await drainQueue()).some((m) => m.job_id === job.id)).toBe(true);
    await env.DB.prepare("UPDATE jobs SET status = 'running', attempts = 3, deadline_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), job.id)
      .run();
    await sweep(env);
    const row = await getJob(env.DB, job.id);
    expect([row?.status, row?.error_code]).toEqual(["failed", "deadline_exceeded"]);
  });

  it("sends again a queued job whose message never left", async () => {
    const { job } = await queuedJob();
    await env.DB.prepare("UPDATE jobs SET dispatched_at = NULL WHERE id = ?").bind(job.id).run();
    await sweep(env);
    expect((await drainQueue()).some((m) => m.job_id === job.id)).toBe(true);
  });

  // Issue #15 finding 2: a queued job whose callbacks went elsewhere was re-sent forever.
  it("re-sends a queued job that never starts at most MAX_DISPATCHES times, then fails it not_started", async () => {
    const { job } = await queuedJob();
    expect((await getJob(env.DB, job.id))?.dispatches).toBe(1);
    const stale = () =>
      env.DB.prepare("UPDATE jobs SET dispatched_at = ? WHERE id = ?")
        .bind(new Date(Date.now() - 10 * 60_000).toISOString(), job.id)
        .run();
    for (let sent = 1; sent < MAX_DISPATCHES; sent++) {
      await stale();
      await sweep(env);
      expect((await drainQueue()).filter((m) => m.job_id === job.id)).toHaveLength(1);
      expect((await getJob(env.DB, job.id))?.dispatches).toBe(sent + 1);
    }
    await stale();
    await sweep(env);
    expect((await drainQueue()).some((m) => m.job_id === job.id)).toBe(false);
    const row = await getJob(env.DB, job.id);
    expect([row?.status, row?.error_code]).toEqual(["failed", "not_started"]);
    expect(row?.error_message).toContain(`after ${MAX_DISPATCHES} sends`);
  });
});
