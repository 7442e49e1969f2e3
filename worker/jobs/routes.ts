/** /v1/jobs: submit, read, list, cancel, deliveries, and result downloads. */
import { Hono } from "hono";
import { checkComplete } from "../../models/runtime/completeness.ts";
import { InputError } from "../../models/runtime/errors.ts";
import { checkLimits, readImageInfo } from "../../models/runtime/image-info.ts";
import { JOB_LIMITS } from "../../models/runtime/limits.ts";
import type { JobOutputName } from "../../protocol/jobs.ts";
import { sha256Hex } from "../auth/keys.ts";
import { requireApiKey } from "../auth/middleware.ts";
import { rateLimit } from "../auth/rate-limit.ts";
import { ApiError } from "../errors/index.ts";
import { readImageUpload } from "../images/read-body.ts";
import type { AppEnv } from "../types.ts";
import { urlPolicy } from "../webhooks/deliver.ts";
import { checkWebhookUrl, ResolverUnavailable, UnsafeWebhookUrl } from "../webhooks/ssrf.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { parseJobOptions } from "./options.ts";
import { getJob, type JobRow } from "./repo.ts";
import { purgeJob } from "./retention.ts";
import { acceptJob, cancelJob, outputKey, publicJob } from "./service.ts";
import { verifySignedUrl } from "./signed-urls.ts";

export const jobs = new Hono<AppEnv>();

// Result downloads are authorised by their signature, not by a key: they are links to hand on.
jobs.get("/:id/outputs/:name", async (c) => {
  const url = new URL(c.req.url);
  await verifySignedUrl(c.env.URL_SIGNING_SECRET, "GET", url);
  const object = await c.env.BUCKET.get(outputKey(c.req.param("id"), c.req.param("name") as JobOutputName));
  if (!object) throw new ApiError(404, "not_found", "no such output");
  return new Response(object.body, {
    headers: {
      "content-type": object.httpMetadata?.contentType ?? "application/octet-stream",
      "cache-control": "private, max-age=900",
    },
  });
});

jobs.use("*", requireApiKey);

async function ownJob(c: { env: Env; get: (k: "apiKey") => { id: string } }, id: string): Promise<JobRow> {
  const row = await getJob(c.env.DB, id);
  // Another key's job answers exactly like a missing one: ids reveal nothing.
  if (!row || row.api_key_id !== c.get("apiKey").id) throw new ApiError(404, "not_found", `no job ${id}`);
  return row;
}

jobs.post("/", rateLimit("jobs", 60), async (c) => {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "multipart/form-data") {
    throw new InputError(
      "unsupported_media_type",
      "POST /v1/jobs takes multipart/form-data with an `image` file field",
    );
  }
  const idempotencyKey = c.req.header("idempotency-key") ?? null;
  if (idempotencyKey !== null && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
    throw new ApiError(400, "invalid_request", "Idempotency-Key must be 1 to 255 characters");
  }
  const upload = await readImageUpload(c.req.raw, JOB_LIMITS);
  const info = readImageInfo(upload.bytes);
  checkLimits(info, JOB_LIMITS);
  checkComplete(upload.bytes, info); // refused now rather than failed after the queue
  const options = parseJobOptions(upload.fields);
  if (options.webhookUrl) {
    try {
      await checkWebhookUrl(options.webhookUrl, urlPolicy(c.env));
    } catch (error) {
      if (error instanceof UnsafeWebhookUrl) throw new ApiError(400, "invalid_webhook_url", error.message);
      if (error instanceof ResolverUnavailable)
        throw new ApiError(503, "dns_unavailable", `webhook_url could not be checked now: ${error.message}`, {
          "Retry-After": "30",
        });
      throw error;
    }
  }
  const apiKey = c.get("apiKey");
  const requestHash = await sha256Hex(`${await sha256Hex(upload.bytes)}:${JSON.stringify(options)}`);
  if (idempotencyKey) {
    const existing = await c.env.DB.prepare("SELECT * FROM jobs WHERE api_key_id = ? AND idempotency_key = ?")
      .bind(apiKey.id, idempotencyKey)
      .first<JobRow>();
    if (existing) return replay(existing);
  }
  let row: JobRow;
  try {
    row = await acceptJob(c.env, {
      apiKeyId: apiKey.id,
      bytes: upload.bytes,
      contentType: info.type,
      width: info.width,
      height: info.height,
      ...options,
      idempotencyKey,
      requestHash,
    });
  } catch (error) {
    // Two concurrent requests with one Idempotency-Key: the loser answers with the winner's job.
    const winner = idempotencyKey
      ? await c.env.DB.prepare("SELECT * FROM jobs WHERE api_key_id = ? AND idempotency_key = ?")
          .bind(apiKey.id, idempotencyKey)
          .first<JobRow>()
      : null;
    if (winner) return replay(winner);
    throw error;
  }
  console.log(
    JSON.stringify({
      level: "info",
      msg: "job accepted",
      job_id: row.id,
      bytes: row.input_bytes,
      mode: row.mode,
    }),
  );
  return c.json(await publicJob(c.env, row), 202, { Location: `/v1/jobs/${row.id}` });

  async function replay(existing: JobRow) {
    if (existing.request_hash !== requestHash) {
      throw new ApiError(
        409,
        "idempotency_conflict",
        "this Idempotency-Key was used with a different request",
      );
    }
    return c.json(await publicJob(c.env, existing), 202, {
      Location: `/v1/jobs/${existing.id}`,
      "Idempotent-Replayed": "true",
    });
  }
});

jobs.get("/", async (c) => {
  const rawLimit = c.req.query("limit") ?? "20";
  const limit = Number(rawLimit);
  if (!/^\d{1,3}$/.test(rawLimit) || limit < 1 || limit > 100)
    throw new ApiError(400, "invalid_request", "limit must be an integer from 1 to 100");
  const cursor = c.req.query("cursor");
  const before = cursor ? decodeCursor(cursor) : undefined;
  const key = c.get("apiKey").id;
  const { results } = before
    ? await c.env.DB.prepare(
        "SELECT * FROM jobs WHERE api_key_id = ? AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?",
      )
        .bind(key, before[0], before[0], before[1], limit + 1)
        .all<JobRow>()
    : await c.env.DB.prepare(
        "SELECT * FROM jobs WHERE api_key_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
      )
        .bind(key, limit + 1)
        .all<JobRow>();
  const page = results.slice(0, limit);
  const last = page.at(-1);
  return c.json({
    object: "list",
    data: await Promise.all(page.map((r) => publicJob(c.env, r))),
    next_cursor: results.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
  });
});

jobs.get("/:id", async (c) => c.json(await publicJob(c.env, await ownJob(c, c.req.param("id")))));

/**
 * Cancel a queued job, or delete a final job's stored data; either way the input and outputs
 * are gone at once and the job stays readable. A running job cannot be stopped on the GPU
 * tier: 409, to be deleted once it has finished.
 */
jobs.delete("/:id", async (c) => {
  const row = await ownJob(c, c.req.param("id"));
  if (row.status === "queued" || row.status === "running") {
    if (!(await cancelJob(c.env, row))) {
      throw new ApiError(
        409,
        "not_cancelable",
        "the job is running; only queued jobs can be canceled (delete it once it has finished)",
      );
    }
  }
  await purgeJob(c.env, row);
  return c.json(await publicJob(c.env, (await getJob(c.env.DB, row.id))!));
});

jobs.get("/:id/deliveries", async (c) => {
  const row = await ownJob(c, c.req.param("id"));
  const { results } = await c.env.DB.prepare(
    "SELECT webhook_id, event, attempt, url, outcome, status_code, error, duration_ms, created_at FROM webhook_deliveries WHERE job_id = ? ORDER BY id",
  )
    .bind(row.id)
    .all();
  return c.json({ object: "list", data: results });
});
