import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { signWebhook, verifyWebhook, WebhookVerificationError } from "../../protocol/standard-webhooks.ts";
import { insertJob, type JobRow } from "../jobs/repo.ts";
import { expiryFor } from "../jobs/state.ts";
import { call, newKey } from "../test/helpers.ts";
import { handleWebhookBatch } from "./consumer.ts";
import { deliverWebhook, retryDelaySeconds } from "./deliver.ts";
import { claimWebhook, releaseWebhook } from "./deliveries.ts";
import type { WebhookTask } from "./enqueue.ts";

let apiKey: { id: string; key: string; webhook_secret: string };

beforeAll(async () => {
  apiKey = await newKey("webhooks");
});
afterEach(() => {
  vi.restoreAllMocks();
});

let n = 0;
async function finishedJob(webhookUrl: string | null, overrides: Partial<JobRow> = {}): Promise<JobRow> {
  const now = new Date().toISOString();
  const row: JobRow = {
    id: `job_hook${n++}`,
    api_key_id: apiKey.id,
    status: "succeeded",
    mode: "learned",
    quality: "standard",
    outputs: '["mask"]',
    webhook_url: webhookUrl,
    webhook_events: '["job.succeeded","job.failed"]',
    input_key: "inputs/x",
    input_bytes: 1,
    input_type: "image/png",
    width: 4,
    height: 3,
    idempotency_key: null,
    request_hash: "h",
    attempts: 1,
    dispatches: 1,
    dispatched_at: now,
    error_code: null,
    error_message: null,
    result: JSON.stringify({
      model: "m",
      width: 4,
      height: 3,
      class_fractions: [1],
      outputs: ["mask"],
      timings_ms: {},
      provider: "cpu",
    }),
    created_at: now,
    started_at: now,
    finished_at: now,
    deadline_at: null,
    cancel_after_at: null,
    origin: "http://edge.test",
    updated_at: now,
    expires_at: null,
    purged_at: null,
    progress_stage: null,
    progress_fraction: null,
    ...overrides,
  };
  await insertJob(env.DB, row);
  return row;
}

const task = (row: JobRow): WebhookTask => ({
  job_id: row.id,
  event: "job.succeeded",
  webhook_id: `msg_${row.id}_succeeded`,
});

async function deliveries(jobId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY id")
    .bind(jobId)
    .all<{ outcome: string; status_code: number | null; attempt: number; error: string | null }>();
  return results;
}

describe("Standard Webhooks signing", () => {
  it("is verified by the standardwebhooks library, and tampering is caught", async () => {
    const body = JSON.stringify({ type: "job.succeeded", data: { id: "job_1" } });
    const headers = signWebhook(apiKey.webhook_secret, "msg_1", body);
    expect(new Webhook(apiKey.webhook_secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(apiKey.webhook_secret).verify(`${body} `, headers)).toThrow();
    expect(() => verifyWebhook(apiKey.webhook_secret, new Headers(headers), `${body} `)).toThrow(
      WebhookVerificationError,
    );
    verifyWebhook(apiKey.webhook_secret, new Headers(headers), body);
  });
});

describe("delivery", () => {
  it("POSTs a signed job.succeeded whose data is the job object, and records it", async () => {
    const row = await finishedJob("https://hooks.example.com/fcn");
    let seen: { url: string; body: string; headers: Record<string, string> } | undefined;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      seen = {
        url: String(input),
        body: String(init?.body),
        headers: Object.fromEntries(new Headers(init?.headers).entries()),
      };
      return new Response("ok");
    });
    const result = await deliverWebhook(env, task(row), 1);
    expect(result).toEqual({ outcome: "delivered", status: 200 });
    const payload = new Webhook(apiKey.webhook_secret).verify(seen!.body, seen!.headers) as {
      type: string;
      data: { id: string; status: string; result: { mask_url: string } };
    };
    expect(payload.type).toBe("job.succeeded");
    expect(payload.data).toMatchObject({ id: row.id, status: "succeeded" });
    expect(payload.data.result.mask_url).toContain(`/v1/jobs/${row.id}/outputs/mask?exp=`);
    expect(seen!.headers["webhook-id"]).toBe(`msg_${row.id}_succeeded`);
    expect((await deliveries(row.id))[0]).toMatchObject({
      outcome: "delivered",
      status_code: 200,
      attempt: 1,
    });
  });

  it("retries with exponential backoff on 5xx and timeouts, then dead-letters after the last try", async () => {
    const row = await finishedJob("https://hooks.example.com/down");
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("no", { status: 503 }));
    const batch = createMessageBatch<WebhookTask>("fcn-webhooks", [
      { id: "m1", timestamp: Date.now(), attempts: 3, body: task(row) },
    ]);
    const ctx = createExecutionContext();
    await handleWebhookBatch(batch, { ...env, WEBHOOK_RETRY_BASE_SECONDS: "2" });
    const outcome = await getQueueResult(batch, ctx);
    expect(outcome.retryMessages).toEqual([expect.objectContaining({ msgId: "m1" })]);
    expect(retryDelaySeconds(1, 2)).toBe(2);
    expect(retryDelaySeconds(20, 2)).toBe(600);
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    });
    expect((await deliverWebhook(env, task(row), 4)).outcome).toBe("failed");
    // the dead-letter queue's consumer records the end of the line
    const dead = createMessageBatch<WebhookTask>("fcn-webhooks-dlq", [
      { id: "m2", timestamp: Date.now(), attempts: 1, body: task(row) },
    ]);
    await handleWebhookBatch(dead, env);
    expect((await getQueueResult(dead, createExecutionContext())).explicitAcks).toEqual(["m2"]);
    expect((await deliveries(row.id)).map((d) => d.outcome)).toEqual(["failed", "failed", "dead_lettered"]);
  });

  it("a receiver that never answers does not hold back the others in its batch (issue #15, item 4)", async () => {
    const slow = await finishedJob("https://slow.example.com/hook");
    const fast = await finishedJob("https://fast.example.com/hook");
    let release: (() => void) | undefined;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let fastCalled: (() => void) | undefined;
    const fastSeen = new Promise<"fast">((r) => {
      fastCalled = () => r("fast");
    });
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      if (String(input).startsWith("https://slow.")) {
        await released; // hangs like a receiver that never answers (until the test lets go)
        return new Response("late");
      }
      fastCalled?.();
      return new Response("ok");
    });
    const batch = createMessageBatch<WebhookTask>("fcn-webhooks", [
      { id: "s1", timestamp: Date.now(), attempts: 1, body: task(slow) },
      { id: "f1", timestamp: Date.now(), attempts: 1, body: task(fast) },
    ]);
    const handled = handleWebhookBatch(batch, env);
    const first = await Promise.race([fastSeen, new Promise((r) => setTimeout(() => r("timeout"), 2000))]);
    release?.();
    await handled;
    expect(first).toBe("fast");
    expect((await deliveries(fast.id)).map((d) => d.outcome)).toEqual(["delivered"]);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks.sort()).toEqual(["f1", "s1"]);
  });

  it("in production refuses private targets, also behind a redirect or a DNS name", async () => {
    const production = { ...env, ENVIRONMENT: "production", PUBLIC_BASE_URL: "https://edge.test" };
    const row = await finishedJob("https://hooks.example.com/redirect");
    const calls: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = String(input);
      calls.push(url);
      if (url.includes("dns-query")) {
        const name = new URL(url).searchParams.get("name");
        const type = new URL(url).searchParams.get("type");
        const data = name === "rebind.example.com" ? "127.0.0.1" : "93.184.216.34";
        return Response.json({ Status: 0, Answer: type === "A" ? [{ type: 1, data }] : [] });
      }
      if (url === "https://hooks.example.com/redirect")
        return new Response(null, {
          status: 302,
          headers: { location: "http://169.254.169.254/latest/meta-data" },
        });
      return new Response("ok");
    });
    const result = await deliverWebhook(production, task(row), 1);
    expect(result.outcome).toBe("refused");
    expect(calls.some((u) => u.includes("169.254.169.254"))).toBe(false);
    const rebind = await finishedJob("https://rebind.example.com/hook");
    expect((await deliverWebhook(production, task(rebind), 1)).outcome).toBe("refused");
    const batch = createMessageBatch<WebhookTask>("fcn-webhooks", [
      { id: "m3", timestamp: Date.now(), attempts: 1, body: task(rebind) },
    ]);
    await handleWebhookBatch(batch, production);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(["m3"]); // refused: no retry
  });

  it("in production a delivery whose DNS check cannot run now fails and is retried, not refused", async () => {
    const production = { ...env, ENVIRONMENT: "production", PUBLIC_BASE_URL: "https://edge.test" };
    const row = await finishedJob("https://hooks.example.com/fcn");
    const calls: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      calls.push(String(input));
      throw new TypeError("fetch failed");
    });
    const result = await deliverWebhook(production, task(row), 1);
    expect(result.outcome).toBe("failed");
    expect(result.error).toContain("ResolverUnavailable");
    expect(calls.every((u) => u.includes("dns-query"))).toBe(true); // the receiver was never called
  });
});

describe("redelivery (issue #17)", () => {
  const auth = (key = apiKey.key) => ({ authorization: `Bearer ${key}` });
  interface Listed {
    id: number;
    webhook_id: string;
    attempt: number;
    outcome: string;
  }
  const listed = async (jobId: string, key = apiKey.key) =>
    (
      (await (await call(`/v1/jobs/${jobId}/deliveries`, { headers: auth(key) })).json()) as {
        data: Listed[];
      }
    ).data;
  const redeliver = (jobId: string, deliveryId: number | string, key = apiKey.key) =>
    call(`/v1/jobs/${jobId}/deliveries/${deliveryId}/redeliver`, { method: "POST", headers: auth(key) });

  /** Capture what a receiver at `url` is sent, answering 200. */
  function receiver(url: string, status = 200) {
    const seen: { body: string; headers: Record<string, string> }[] = [];
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (String(input) !== url) return real(input, init);
      seen.push({
        body: String(init?.body),
        headers: Object.fromEntries(new Headers(init?.headers).entries()),
      });
      return new Response("ok", { status });
    });
    return seen;
  }

  it("sends a delivered event again with the same webhook-id, recorded as a new attempt", async () => {
    const finished = Date.now();
    const row = await finishedJob("https://hooks.example.com/again", { expires_at: expiryFor(finished) });
    const seen = receiver(row.webhook_url!);
    expect((await deliverWebhook(env, task(row), 1)).outcome).toBe("delivered");
    const [first] = await listed(row.id);
    expect(first).toMatchObject({ webhook_id: `msg_${row.id}_succeeded`, attempt: 1, outcome: "delivered" });

    const r = await redeliver(row.id, first.id);
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({
      object: "webhook_redelivery",
      status: "queued",
      job_id: row.id,
      delivery_id: first.id,
      webhook_id: first.webhook_id,
      event: "job.succeeded",
      first_attempt: 2,
    });
    // the webhook queue's consumer sends it (the local queue delivers within seconds)
    for (let i = 0; i < 100 && (await listed(row.id)).length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    const attempts = await listed(row.id);
    expect(attempts.map((a) => [a.webhook_id, a.attempt, a.outcome])).toEqual([
      [first.webhook_id, 1, "delivered"],
      [first.webhook_id, 2, "delivered"],
    ]);
    expect(seen).toHaveLength(2);
    expect(seen.map((s) => s.headers["webhook-id"])).toEqual([first.webhook_id, first.webhook_id]);
    const payload = new Webhook(apiKey.webhook_secret).verify(seen[1].body, seen[1].headers) as {
      type: string;
      data: { id: string; expires_at: string | null };
    };
    // the payload carries when the job's stored data expires
    expect(payload).toMatchObject({
      type: "job.succeeded",
      data: { id: row.id, expires_at: row.expires_at },
    });
  });

  it("two copies of one webhook in a batch are delivered once; the copy is acknowledged", async () => {
    const row = await finishedJob("https://hooks.example.com/twice");
    const seen = receiver(row.webhook_url!);
    const batch = createMessageBatch<WebhookTask>("fcn-webhooks", [
      { id: "a1", timestamp: Date.now(), attempts: 1, body: task(row) },
      { id: "a2", timestamp: Date.now(), attempts: 1, body: task(row) },
    ]);
    await handleWebhookBatch(batch, env);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks.sort()).toEqual(["a1", "a2"]);
    expect(seen).toHaveLength(1);
    expect((await listed(row.id)).map((d) => [d.attempt, d.outcome])).toEqual([[1, "delivered"]]);
  });

  it("a copy handled while another invocation is sending the same webhook waits for it, then is dropped", async () => {
    const row = await finishedJob("https://hooks.example.com/claimed");
    const seen = receiver(row.webhook_url!);
    // another consumer invocation holds the send of this webhook-id right now
    const now = Date.now();
    expect(
      await claimWebhook(
        env.DB,
        task(row).webhook_id,
        new Date(now).toISOString(),
        new Date(now + 60_000).toISOString(),
      ),
    ).toBe(true);
    const copy = createMessageBatch<WebhookTask>("fcn-webhooks", [
      { id: "c1", timestamp: now, attempts: 1, body: task(row) },
    ]);
    await handleWebhookBatch(copy, env);
    const waited = await getQueueResult(copy, createExecutionContext());
    expect(waited.retryMessages.map((m) => m.msgId)).toEqual(["c1"]);
    expect(seen).toHaveLength(0);
    // that send delivered (and released its claim); the copy, back from the queue, is dropped
    expect((await deliverWebhook(env, task(row), 1)).outcome).toBe("delivered");
    await releaseWebhook(env.DB, task(row).webhook_id);
    const back = createMessageBatch<WebhookTask>("fcn-webhooks", [
      { id: "c1", timestamp: now, attempts: 2, body: task(row) },
    ]);
    await handleWebhookBatch(back, env);
    expect((await getQueueResult(back, createExecutionContext())).explicitAcks).toEqual(["c1"]);
    expect(seen).toHaveLength(1);
  });

  it("a send releases its claim whatever its outcome, so a retry can send again", async () => {
    const row = await finishedJob("https://hooks.example.com/down");
    receiver(row.webhook_url!, 500);
    const first = createMessageBatch<WebhookTask>("fcn-webhooks", [
      { id: "f1", timestamp: Date.now(), attempts: 1, body: task(row) },
    ]);
    await handleWebhookBatch(first, env);
    expect((await getQueueResult(first, createExecutionContext())).retryMessages.map((m) => m.msgId)).toEqual(
      ["f1"],
    );
    const { results } = await env.DB.prepare("SELECT * FROM webhook_claims").all();
    expect(results).toEqual([]);
  });

  it("a redelivery is sent even after a delivered attempt, numbered after the earlier ones", async () => {
    const row = await finishedJob("https://hooks.example.com/dead");
    const seen = receiver(row.webhook_url!);
    expect((await deliverWebhook(env, task(row), 1)).outcome).toBe("delivered");
    const dead = createMessageBatch<WebhookTask>("fcn-webhooks-dlq", [
      { id: "d1", timestamp: Date.now(), attempts: 1, body: task(row) },
    ]);
    await handleWebhookBatch(dead, env);
    const batch = createMessageBatch<WebhookTask>("fcn-webhooks", [
      { id: "r1", timestamp: Date.now(), attempts: 2, body: { ...task(row), attempts_before: 6 } },
      { id: "o1", timestamp: Date.now(), attempts: 1, body: task(row) },
    ]);
    await handleWebhookBatch(batch, env);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks.sort()).toEqual(["o1", "r1"]);
    // the plain message is a duplicate of a delivered webhook: dropped; the redelivery is sent
    expect((await listed(row.id)).map((d) => [d.attempt, d.outcome])).toEqual([
      [1, "delivered"],
      [0, "dead_lettered"],
      [8, "delivered"],
    ]);
    expect(seen).toHaveLength(2);
  });

  it("allows 20 redeliveries a minute per key, then 429 with Retry-After", async () => {
    const busy = await newKey("webhooks-busy");
    const row = await finishedJob("https://hooks.example.com/busy", { api_key_id: busy.id });
    receiver(row.webhook_url!);
    await deliverWebhook(env, task(row), 1);
    const [delivery] = await listed(row.id, busy.key);
    // the limit counts per clock minute: start early in one, so that all 21 fall in it
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 100));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await redeliver(row.id, delivery.id, busy.key)).status);
    expect(statuses).toEqual(Array(20).fill(202));
    const refused = await redeliver(row.id, delivery.id, busy.key);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // the RateLimit headers the OpenAPI document declares for this route
    expect([refused.headers.get("ratelimit-limit"), refused.headers.get("ratelimit-remaining")]).toEqual([
      "20",
      "0",
    ]);
  }, 30_000);

  it("answers 404 for another key's delivery or an unknown one, 409 for a job without webhook", async () => {
    const row = await finishedJob("https://hooks.example.com/mine");
    receiver(row.webhook_url!);
    await deliverWebhook(env, task(row), 1);
    const [delivery] = await listed(row.id);
    const other = await newKey("webhooks-other");
    const notFound = async (r: Response) => {
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("not_found");
    };
    await notFound(await redeliver(row.id, delivery.id, other.key));
    await notFound(await redeliver(row.id, 99_999_999));
    await notFound(await redeliver(row.id, "abc"));
    const elsewhere = await finishedJob("https://hooks.example.com/elsewhere");
    await notFound(await redeliver(elsewhere.id, delivery.id)); // a delivery of another job
    const silent = await finishedJob(null, { webhook_events: "[]" });
    const r = await redeliver(silent.id, delivery.id);
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("no_webhook");
  });
});
