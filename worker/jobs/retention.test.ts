/**
 * Retention of stored job data (issue #15, item 6): no input outlives a lost race, a final
 * job's input and outputs are deleted after its `expires_at` by the cron, and at once on
 * DELETE /v1/jobs/:id.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import wranglerToml from "../../wrangler.toml?raw";
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
import { MAX_RETRY_DELAY_S, retryDelaySeconds, retryScheduleMs } from "../webhooks/deliver.ts";
import { getJob } from "./repo.ts";
import { purgeExpired } from "./retention.ts";
import { RETENTION_MS } from "./state.ts";

const images = inject("images");
const png = () => fromBase64(images.png64x48);
let key: string;
const auth = () => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  key = (await newKey("retention")).key;
  await drainQueue();
});

type Job = JobJson & { expires_at: string | null };

const summary = resultSummary(["mask", "probabilities"]);

/** A job that ran: its input, mask and probabilities are stored. */
async function succeededJob(): Promise<Job> {
  const job = (await (await submit(key, png(), { outputs: "mask,probabilities" })).json()) as Job;
  const message = (await drainQueue()).find((m) => m.job_id === job.id)!;
  for (const target of Object.values(message.outputs)) {
    const put = await call(pathOf(target.url), { method: "PUT", body: new Uint8Array([7, 7]) });
    expect(put.status).toBe(204);
  }
  const done = await postCallback(job.id, {
    job_id: job.id,
    status: "succeeded",
    attempt: 1,
    result: summary,
  });
  expect(done.status).toBe(200);
  return (await (await call(`/v1/jobs/${job.id}`, { headers: auth() })).json()) as Job;
}

/** max_retries of the webhook queue's consumer, read from wrangler.toml: the setting the queue obeys. */
function webhookMaxRetries(): number {
  const consumer = wranglerToml
    .split(/^(?=\[)/m)
    .find(
      (section) => section.startsWith("[[queues.consumers]]") && /^queue = "fcn-webhooks"$/m.test(section),
    );
  const setting = consumer && /^max_retries = (\d+)$/m.exec(consumer);
  if (!setting) throw new Error('wrangler.toml has no max_retries for the "fcn-webhooks" consumer');
  return Number(setting[1]);
}

const stored = async (id: string) =>
  (
    await Promise.all(
      [`inputs/${id}`, `outputs/${id}/mask`, `outputs/${id}/probabilities`].map((k) => env.BUCKET.head(k)),
    )
  ).filter(Boolean).length;

describe("retention", () => {
  it("racing submits with one Idempotency-Key leave no input without a job", async () => {
    const headers = { "idempotency-key": "race-1" };
    // the workerd files share one bucket: judge only the inputs this race wrote
    const before = new Set((await env.BUCKET.list({ prefix: "inputs/" })).objects.map((o) => o.key));
    const answers = await Promise.all(Array.from({ length: 12 }, () => submit(key, png(), {}, headers)));
    const ids = new Set<string>();
    for (const a of answers) {
      expect(a.status).toBe(202);
      ids.add(((await a.json()) as Job).id);
    }
    expect(ids.size).toBe(1);
    const { objects } = await env.BUCKET.list({ prefix: "inputs/" });
    const { results } = await env.DB.prepare("SELECT input_key FROM jobs").all<{ input_key: string }>();
    const referenced = new Set(results.map((r) => r.input_key));
    expect(objects.map((o) => o.key).filter((k) => !before.has(k) && !referenced.has(k))).toEqual([]);
    await drainQueue();
  });

  it("gives a final job an expires_at past the webhook retries; the cron deletes its data then", async () => {
    const job = await succeededJob();
    expect(job.result?.mask_url).toBeTruthy();
    const expires = Date.parse(job.expires_at!);
    // the last webhook retry (5 retries, each at most 10 minutes later) comes long before
    const lastRetry = Array.from({ length: 6 }, (_, i) => retryDelaySeconds(i + 1, 2)).reduce(
      (a, b) => a + b,
    );
    expect(expires - Date.now()).toBeGreaterThan(lastRetry * 1000);
    expect(RETENTION_MS).toBe(7 * 24 * 3600 * 1000);
    expect(await stored(job.id)).toBe(3);

    // not yet (other files' jobs, in the same database, may be due; this one is not)
    await purgeExpired(env, expires - 1000);
    expect(await stored(job.id)).toBe(3);
    expect((await getJob(env.DB, job.id))?.purged_at).toBeFalsy();
    expect(await purgeExpired(env, expires + 1000)).toBeGreaterThanOrEqual(1);
    expect(await stored(job.id)).toBe(0);
    expect((await getJob(env.DB, job.id))?.purged_at).toBeTruthy();
    // the job stays readable, without links to what is gone
    const after = (await (await call(`/v1/jobs/${job.id}`, { headers: auth() })).json()) as Job;
    expect([after.status, after.result]).toEqual(["succeeded", null]);
    expect((await call(pathOf(job.result!.mask_url))).status).toBe(404);
  });

  it("keeps data longer than the whole webhook retry schedule, whatever the backoff base (issue #17)", () => {
    const maxRetries = webhookMaxRetries();
    expect(maxRetries).toBeGreaterThan(0);
    // every delay at its cap: the longest schedule any WEBHOOK_RETRY_BASE_SECONDS gives
    expect(RETENTION_MS).toBeGreaterThan(retryScheduleMs(maxRetries, MAX_RETRY_DELAY_S));
  });

  it("DELETE of a finished job removes its input and outputs at once, and may be repeated", async () => {
    const job = await succeededJob();
    const r = await call(`/v1/jobs/${job.id}`, { method: "DELETE", headers: auth() });
    expect(r.status).toBe(200);
    const deleted = (await r.json()) as Job;
    expect([deleted.status, deleted.result]).toEqual(["succeeded", null]);
    expect(Date.parse(deleted.expires_at!)).toBeLessThanOrEqual(Date.now());
    expect(await stored(job.id)).toBe(0);
    expect((await call(`/v1/jobs/${job.id}`, { method: "DELETE", headers: auth() })).status).toBe(200);
  });

  it("DELETE cancels a queued job and deletes its input; a running job answers 409", async () => {
    const queued = (await (await submit(key, png())).json()) as Job;
    expect(await stored(queued.id)).toBe(1);
    const canceled = await call(`/v1/jobs/${queued.id}`, { method: "DELETE", headers: auth() });
    expect(((await canceled.json()) as Job).status).toBe("canceled");
    expect(await stored(queued.id)).toBe(0);

    const running = (await (await submit(key, png())).json()) as Job;
    await postCallback(running.id, { job_id: running.id, status: "running", attempt: 1 });
    const refused = await call(`/v1/jobs/${running.id}`, { method: "DELETE", headers: auth() });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("not_cancelable");
    expect(await stored(running.id)).toBe(1);
    await drainQueue();
  });
});
