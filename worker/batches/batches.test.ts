/**
 * /v1/batches through the Worker with its local bindings (D1, R2, the test SQS), and the
 * batch's end: completion on the last item's final transition, and one batch.completed.
 * image_url items come from the loopback image server of worker/test/global-setup.ts.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { getJob } from "../jobs/repo.ts";
import { Job } from "../jobs/schemas.ts";
import { applyCallback, cancelJob, sweep } from "../jobs/service.ts";
import { call, drainQueue, fromBase64, newKey } from "../test/helpers.ts";
import { handleWebhookBatch } from "../webhooks/consumer.ts";
import type { QueuedWebhook } from "../webhooks/enqueue.ts";
import { BATCH_REPLAY_WINDOW_MS } from "./limits.ts";
import { getBatch, markBatchCompleted } from "./repo.ts";
import { Batch, BatchDeliveryList } from "./schemas.ts";
import type { BatchView } from "./view.ts";

const images = inject("images");
const server = inject("imageServer");
const png = () => fromBase64(images.png64x48);
let owner: { id: string; key: string; webhook_secret: string };
let other: string;

beforeAll(async () => {
  owner = await newKey("batches");
  other = (await newKey("batches-other")).key;
  await drainQueue();
});
afterEach(() => {
  vi.restoreAllMocks();
});

function batchForm(parts: Uint8Array[], fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [i, bytes] of parts.entries())
    form.append("image", new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "image/png" }), `${i}.png`);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

const postBatch = (body: FormData | object, headers: Record<string, string> = {}, key = owner.key) =>
  call("/v1/batches", {
    method: "POST",
    body: body instanceof FormData ? body : JSON.stringify(body),
    headers: {
      authorization: `Bearer ${key}`,
      ...(body instanceof FormData ? {} : { "content-type": "application/json" }),
      ...headers,
    },
  });

const getBatchJson = async (id: string, key = owner.key) =>
  call(`/v1/batches/${id}`, { headers: { authorization: `Bearer ${key}` } });

const errorOf = async (r: Response) =>
  ((await r.json()) as { error: { code: string; message: string } }).error;

async function stored() {
  const n = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())?.n ?? 0;
  const listed = await env.BUCKET.list({ prefix: "inputs/" });
  return {
    jobs: await n("SELECT COUNT(*) AS n FROM jobs"),
    batches: await n("SELECT COUNT(*) AS n FROM batches"),
    inputs: listed.objects.length + (listed.truncated ? 1000 : 0),
  };
}

describe("POST /v1/batches", () => {
  it("accepts 3 images as 3 jobs, items in submission order, each queued for the GPU tier", async () => {
    const r = await postBatch(
      batchForm([png(), fromBase64(images.webp64x48), png()], { outputs: "mask,rle" }),
    );
    expect(r.status).toBe(202);
    const batch = Batch.parse(await r.json()) as BatchView;
    expect(r.headers.get("location")).toBe(`/v1/batches/${batch.id}`);
    expect(batch).toMatchObject({
      object: "batch",
      status: "running",
      size: 3,
      counts: { queued: 3, running: 0, succeeded: 0, failed: 0, canceled: 0 },
    });
    expect(batch.items.map((i) => i.index)).toEqual([0, 1, 2]);
    const jobs = await Promise.all(batch.items.map((i) => getJob(env.DB, i.job_id)));
    expect(jobs.map((j) => [j?.batch_id, j?.batch_index, j?.input_type])).toEqual([
      [batch.id, 0, "image/png"],
      [batch.id, 1, "image/webp"],
      [batch.id, 2, "image/png"],
    ]);
    for (const item of batch.items) expect(await env.BUCKET.head(`inputs/${item.job_id}`)).not.toBeNull();
    const messages = await drainQueue();
    expect(messages.map((m) => m.job_id).sort()).toEqual(batch.items.map((i) => i.job_id).sort());
    const read = (await (await getBatchJson(batch.id)).json()) as BatchView;
    expect(read.items.map((i) => i.job_id)).toEqual(batch.items.map((i) => i.job_id));
    // the public job names its batch and its place there; a job submitted alone names none
    const views = await Promise.all(
      batch.items.map(async (i) =>
        Job.parse(
          await (
            await call(`/v1/jobs/${i.job_id}`, { headers: { authorization: `Bearer ${owner.key}` } })
          ).json(),
        ),
      ),
    );
    expect(views.map((j) => [j.batch_id, j.batch_index])).toEqual([
      [batch.id, 0],
      [batch.id, 1],
      [batch.id, 2],
    ]);
    const single = new FormData();
    single.append("image", new Blob([png() as Uint8Array<ArrayBuffer>], { type: "image/png" }), "alone.png");
    const alone = Job.parse(
      await (
        await call("/v1/jobs", {
          method: "POST",
          body: single,
          headers: { authorization: `Bearer ${owner.key}` },
        })
      ).json(),
    );
    expect([alone.batch_id, alone.batch_index]).toEqual([null, null]);
    await drainQueue();
  });

  it("takes a JSON body of image_urls, fetched like a single job's", async () => {
    const r = await postBatch({
      images: [{ image_url: `${server}/png64x48` }, { image_url: `${server}/png64x48` }],
      quality: "high",
    });
    expect(r.status).toBe(202);
    const batch = (await r.json()) as BatchView;
    expect(batch.size).toBe(2);
    expect((await drainQueue()).map((m) => m.quality)).toEqual(["high", "high"]);
    const bad = await postBatch({
      images: [{ image_url: `${server}/png64x48` }, { image_url: `${server}/status/404` }],
    });
    expect(bad.status).toBe(422);
    expect(await errorOf(bad)).toEqual({
      code: "image_url_unreachable",
      message: "image 1: image_url answered 404",
    });
  });

  it("refuses 101 images with 400 too_many_items, storing nothing", async () => {
    const before = await stored();
    const r = await postBatch(batchForm(Array.from({ length: 101 }, png)));
    expect(r.status).toBe(400);
    expect((await errorOf(r)).code).toBe("too_many_items");
    const json = await postBatch({
      images: Array.from({ length: 101 }, () => ({ image_url: `${server}/png64x48` })),
    });
    expect(json.status).toBe(400);
    expect(await stored()).toEqual(before);
    expect(await drainQueue()).toHaveLength(0);
  });

  it("cuts off a body with far too many parts while it streams", async () => {
    const before = await stored();
    const r = await postBatch(batchForm(Array.from({ length: 150 }, png)));
    expect(r.status).toBe(400);
    expect((await errorOf(r)).code).toBe("too_many_items");
    expect(await stored()).toEqual(before);
  });

  it("refuses a batch over the body limit with 413, storing nothing", async () => {
    const before = await stored();
    const big = new Uint8Array(17 * 1024 * 1024);
    const r = await postBatch(batchForm([big, big]));
    expect(r.status).toBe(413);
    expect((await errorOf(r)).code).toBe("payload_too_large");
    expect(await stored()).toEqual(before);
  });

  it("refuses the whole batch when one item is bad, naming its index, storing nothing", async () => {
    const before = await stored();
    const r = await postBatch(batchForm([png(), new TextEncoder().encode("<html></html>"), png()]));
    expect(r.status).toBe(415);
    expect(await errorOf(r)).toMatchObject({
      code: "unsupported_media_type",
      message: expect.stringMatching(/^image 1: /),
    });
    const option = await postBatch(batchForm([png()], { mode: "magic" }));
    expect(option.status).toBe(400);
    expect(await stored()).toEqual(before);
  });

  it("honours every value of a repeated list field and refuses another repeated field (issue #29, finding 7)", async () => {
    const listed = batchForm([png()]);
    listed.append("outputs", "rle");
    listed.append("outputs", "overlay");
    const r = await postBatch(listed);
    expect(r.status).toBe(202);
    const [message] = await drainQueue();
    expect(Object.keys(message.outputs).sort()).toEqual(["mask", "overlay", "rle"]);
    const before = await stored();
    const twice = batchForm([png()]);
    twice.append("quality", "standard");
    twice.append("quality", "high");
    const refused = await postBatch(twice);
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toEqual({
      code: "invalid_request",
      message: 'the field "quality" was given 2 times: give it once',
    });
    expect(await stored()).toEqual(before);
  });

  it("is idempotent: a replay answers the same batch and stores nothing more; another body 409", async () => {
    const headers = { "idempotency-key": "batch-idem-1" };
    const first = (await (await postBatch(batchForm([png(), png()]), headers)).json()) as BatchView;
    const before = await stored();
    const again = await postBatch(batchForm([png(), png()]), headers);
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const replayed = (await again.json()) as BatchView;
    expect(replayed.id).toBe(first.id);
    expect(replayed.items.map((i) => i.job_id)).toEqual(first.items.map((i) => i.job_id));
    expect(await stored()).toEqual(before);
    const conflict = await postBatch(batchForm([png()]), headers);
    expect(conflict.status).toBe(409);
    expect(await drainQueue()).toHaveLength(2);
  });

  it("answers another key's batch with 404", async () => {
    const batch = (await (await postBatch(batchForm([png()]))).json()) as BatchView;
    await drainQueue();
    const r = await getBatchJson(batch.id, other);
    expect(r.status).toBe(404);
    expect((await errorOf(r)).code).toBe("not_found");
    expect((await getBatchJson("batch_nope")).status).toBe(404);
  });
});

describe("the end of a batch", () => {
  it("completes when every item has ended, and enqueues batch.completed exactly once", async () => {
    const r = await postBatch(
      batchForm([png(), png(), png()], { webhook_url: "https://hooks.example.com/batch" }),
    );
    const batch = (await r.json()) as BatchView;
    await drainQueue();
    const sent: QueuedWebhook[] = [];
    const testEnv = {
      ...env,
      WEBHOOKS: {
        send: async (task: QueuedWebhook) => {
          sent.push(task);
        },
      },
    } as unknown as Env;
    const rows = await Promise.all(batch.items.map((i) => getJob(env.DB, i.job_id)));
    const fail = (i: number) =>
      applyCallback(testEnv, rows[i]!, {
        job_id: rows[i]!.id,
        status: "failed",
        attempt: 1,
        error: { code: "decode_failed", message: "no" },
      });
    expect(await fail(0)).toBe("applied");
    expect(sent).toHaveLength(0);
    expect(((await (await getBatchJson(batch.id)).json()) as BatchView).status).toBe("running");
    // The last two end at once: only one of them may complete the batch.
    const [a, b] = await Promise.all([fail(1), cancelJob(testEnv, rows[2]!)]);
    expect([a, b]).toEqual(["applied", true]);
    expect(await fail(1)).toBe("already_completed"); // a repeated callback changes nothing
    await sweep(testEnv); // nor does the sweep
    expect(
      await markBatchCompleted(env.DB, batch.id, new Date().toISOString(), new Date(0).toISOString()),
    ).toBe(false);
    expect(sent).toEqual([
      { batch_id: batch.id, event: "batch.completed", webhook_id: `msg_${batch.id}_completed` },
    ]);
    const done = Batch.parse(await (await getBatchJson(batch.id)).json()) as BatchView;
    expect(done).toMatchObject({
      status: "completed",
      counts: { queued: 0, running: 0, succeeded: 0, failed: 2, canceled: 1 },
    });
    expect(done.completed_at).toBeTruthy();
    // how long the stored data lives: each item's time, and the batch's is the latest of them
    const itemExpiries = done.items.map((i) => i.expires_at);
    expect(itemExpiries.every((t) => t !== null)).toBe(true);
    expect(done.expires_at).toBe([...itemExpiries].sort().at(-1));

    // Delivered signed, with the batch as data; a second copy of the message is not delivered again.
    const posts: { body: string; headers: Record<string, string> }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      posts.push({
        body: String(init?.body),
        headers: Object.fromEntries(new Headers(init?.headers).entries()),
      });
      return new Response("ok");
    });
    for (const id of ["m1", "m2"]) {
      const queued = createMessageBatch<QueuedWebhook>("fcn-webhooks", [
        { id, timestamp: new Date(), attempts: 1, body: sent[0] },
      ]);
      await handleWebhookBatch(queued, env);
      expect((await getQueueResult(queued, createExecutionContext())).explicitAcks).toEqual([id]);
    }
    expect(posts).toHaveLength(1);
    const payload = new Webhook(owner.webhook_secret).verify(posts[0].body, posts[0].headers) as {
      type: string;
      data: BatchView;
    };
    expect(payload.type).toBe("batch.completed");
    expect(payload.data).toMatchObject({ id: batch.id, status: "completed", size: 3 });
    expect(payload.data.items.map((i) => i.index)).toEqual([0, 1, 2]);
    expect(posts[0].headers["webhook-id"]).toBe(`msg_${batch.id}_completed`);
    // and its deliveries are listed for the key that owns the batch, 404 for another
    const listed = await call(`/v1/batches/${batch.id}/deliveries`, {
      headers: { authorization: `Bearer ${owner.key}` },
    });
    expect(listed.status).toBe(200);
    const { data } = BatchDeliveryList.parse(await listed.json());
    expect(data.map((d) => [d.event, d.attempt, d.outcome, d.webhook_id])).toEqual([
      ["batch.completed", 1, "delivered", `msg_${batch.id}_completed`],
    ]);
    const foreign = await call(`/v1/batches/${batch.id}/deliveries`, {
      headers: { authorization: `Bearer ${other}` },
    });
    expect([foreign.status, (await errorOf(foreign)).code]).toEqual([404, "not_found"]);
  });

  it("a batch.completed that ran out of retries is recorded as dead-lettered", async () => {
    const batch = (await (
      await postBatch(batchForm([png()], { webhook_url: "https://hooks.example.com/batch" }))
    ).json()) as BatchView;
    await drainQueue();
    const task: QueuedWebhook = {
      batch_id: batch.id,
      event: "batch.completed",
      webhook_id: `msg_${batch.id}_completed`,
    };
    const dead = createMessageBatch<QueuedWebhook>("fcn-webhooks-dlq", [
      { id: "d1", timestamp: new Date(), attempts: 1, body: task },
    ]);
    await handleWebhookBatch(dead, env);
    expect((await getQueueResult(dead, createExecutionContext())).explicitAcks).toEqual(["d1"]);
    const row = await env.DB.prepare("SELECT outcome, url FROM batch_deliveries WHERE batch_id = ?")
      .bind(batch.id)
      .first<{ outcome: string; url: string }>();
    expect(row).toEqual({ outcome: "dead_lettered", url: "https://hooks.example.com/batch" });
  });

  it("a completion whose webhook could not be queued is left open, and the sweep completes it", async () => {
    const batch = (await (
      await postBatch(batchForm([png()], { webhook_url: "https://hooks.example.com/batch" }))
    ).json()) as BatchView;
    await drainQueue();
    const broken = {
      ...env,
      WEBHOOKS: {
        send: async () => {
          throw new Error("queue down");
        },
      },
    } as unknown as Env;
    expect(await cancelJob(broken, (await getJob(env.DB, batch.items[0].job_id))!)).toBe(true);
    expect((await getBatch(env.DB, batch.id))?.completed_at).toBeNull();
    const sent: QueuedWebhook[] = [];
    await sweep({
      ...env,
      WEBHOOKS: { send: async (t: QueuedWebhook) => void sent.push(t) },
    } as unknown as Env);
    expect(sent.filter((t) => "batch_id" in t && t.batch_id === batch.id)).toHaveLength(1);
    expect((await getBatch(env.DB, batch.id))?.completed_at).toBeTruthy();
  });
  it("a submission cut short and never replayed completes with what it has once its replay window passed", async () => {
    // The Worker stopped after storing the batch and its first item: two of three never came.
    const form = batchForm([png(), png(), png()], { webhook_url: "https://hooks.example.com/cut" });
    const whole = (await (await postBatch(form, { "idempotency-key": "cut-short" })).json()) as BatchView;
    await drainQueue();
    for (const item of whole.items.slice(1))
      await env.DB.prepare("DELETE FROM jobs WHERE id = ?").bind(item.job_id).run();
    expect(await cancelJob(env, (await getJob(env.DB, whole.items[0].job_id))!)).toBe(true);
    const sent: QueuedWebhook[] = [];
    const recording = {
      ...env,
      WEBHOOKS: { send: async (t: QueuedWebhook) => void sent.push(t) },
    } as unknown as Env;
    await sweep(recording); // within its window it waits for the replay
    expect(((await (await getBatchJson(whole.id)).json()) as BatchView).status).toBe("running");
    expect(sent).toHaveLength(0);

    const past = new Date(Date.now() - BATCH_REPLAY_WINDOW_MS - 60_000).toISOString();
    await env.DB.prepare("UPDATE batches SET created_at = ? WHERE id = ?").bind(past, whole.id).run();
    await sweep(recording);
    expect(sent.filter((t) => "batch_id" in t && t.batch_id === whole.id)).toHaveLength(1);
    const done = Batch.parse(await (await getBatchJson(whole.id)).json()) as BatchView;
    expect(done).toMatchObject({
      status: "completed",
      size: 3,
      counts: { canceled: 1, queued: 0, running: 0 },
    });
    expect(done.items.map((i) => i.index)).toEqual([0]);
    // a late replay changes nothing now: the batch ended with the item it had
    const replay = await postBatch(form, { "idempotency-key": "cut-short" });
    expect(replay.status).toBe(202);
    expect(((await replay.json()) as BatchView).items).toHaveLength(1);
    expect(
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE batch_id = ?")
          .bind(whole.id)
          .first<{ n: number }>()
      )?.n,
    ).toBe(1);
  });
});
