/**
 * Routes for the GPU tier, authorised per request: signed URLs (input read, output write)
 * and the completion callback, signed with Standard Webhooks and CALLBACK_SECRET. Nothing here accepts an API key.
 */
import { type Context, Hono } from "hono";
import {
  JOB_OUTPUT_NAMES,
  type JobCallback,
  type JobOutputName,
  jobCallbackSchema,
} from "../../protocol/jobs.ts";
import {
  isStaleTimestamp,
  verifyWebhook,
  WebhookVerificationError,
} from "../../protocol/standard-webhooks.ts";
import { callbackSecret } from "../config.ts";
import { ApiError } from "../errors/index.ts";
import { readCapped } from "../images/read-body.ts";
import { getJob, type JobRow } from "../jobs/repo.ts";
import { applyCallback, outputKey } from "../jobs/service.ts";
import { verifySignedUrl } from "../jobs/signed-urls.ts";
import { isFinal } from "../jobs/state.ts";
import type { AppEnv } from "../types.ts";
import { abortUpload, completeUpload, createUpload, putOutput, uploadPart } from "./outputs.ts";

export const internal = new Hono<AppEnv>();

async function jobFor(env: Env, id: string): Promise<JobRow> {
  const row = await getJob(env.DB, id);
  if (!row) throw new ApiError(404, "not_found", `no job ${id}`);
  return row;
}

/** A finished or canceled job takes no more work: the GPU service reads 409 as "done". */
function refuseIfFinal(row: JobRow): void {
  if (isFinal(row.status)) {
    throw new ApiError(
      409,
      row.status === "canceled" ? "job_canceled" : "already_completed",
      `the job is ${row.status}`,
    );
  }
}

internal.get("/jobs/:id/input", async (c) => {
  await verifySignedUrl(c.env.URL_SIGNING_SECRET, "GET", new URL(c.req.url));
  const row = await jobFor(c.env, c.req.param("id"));
  refuseIfFinal(row);
  const object = await c.env.BUCKET.get(row.input_key);
  if (!object) throw new ApiError(404, "not_found", "the input is gone");
  return new Response(object.body, {
    headers: { "content-type": row.input_type, "content-length": String(object.size) },
  });
});

/** The job and the storage key a signed output URL may write. */
async function outputTarget(c: Context<AppEnv>): Promise<string> {
  await verifySignedUrl(c.env.URL_SIGNING_SECRET, "PUT", new URL(c.req.url));
  const name = c.req.param("name") as JobOutputName;
  if (!JOB_OUTPUT_NAMES.includes(name)) throw new ApiError(404, "not_found", `no output named ${name}`);
  const row = await jobFor(c.env, c.req.param("id")!);
  refuseIfFinal(row);
  // Keyed by job and output name: a redelivered job overwrites with the same bytes.
  return outputKey(row.id, name);
}

// One signature (PUT on the output's path) authorises every request of an upload.
internal.put("/jobs/:id/outputs/:name", async (c) => {
  const key = await outputTarget(c);
  const uploadId = c.req.query("upload_id");
  if (uploadId === undefined) {
    await putOutput(c.env.BUCKET, key, c.req.raw);
    return c.body(null, 204);
  }
  return c.json(await uploadPart(c.env.BUCKET, key, uploadId, c.req.query("part_number"), c.req.raw));
});

internal.post("/jobs/:id/outputs/:name", async (c) => {
  const key = await outputTarget(c);
  const uploadId = c.req.query("upload_id");
  if (uploadId !== undefined) {
    await completeUpload(c.env.BUCKET, key, uploadId, c.req.raw);
    return c.body(null, 204);
  }
  if (c.req.query("uploads") === undefined)
    throw new ApiError(404, "not_found", "POST url&uploads starts an upload");
  const contentType = c.req.header("content-type") ?? "application/octet-stream";
  return c.json({ upload_id: await createUpload(c.env.BUCKET, key, contentType) });
});

internal.delete("/jobs/:id/outputs/:name", async (c) => {
  const key = await outputTarget(c);
  const uploadId = c.req.query("upload_id");
  if (!uploadId) throw new ApiError(404, "not_found", "DELETE url&upload_id=U aborts an upload");
  await abortUpload(c.env.BUCKET, key, uploadId);
  return c.body(null, 204);
});

/** A signed body is trusted to come from the GPU tier, not to be well formed: parse it whole. */
function parseCallback(body: string): JobCallback {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ApiError(400, "invalid_request", "the callback body is not JSON");
  }
  const parsed = jobCallbackSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "body";
    throw new ApiError(400, "invalid_request", `invalid callback: ${where}: ${issue.message}`);
  }
  return parsed.data;
}

internal.post("/jobs/:id/callback", async (c) => {
  const body = new TextDecoder().decode(await readCapped(c.req.raw.body, 1024 * 1024));
  try {
    verifyWebhook(callbackSecret(c.env), c.req.raw.headers, body);
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    if (isStaleTimestamp(error))
      throw new ApiError(401, "stale_callback", "the callback timestamp is outside the tolerance");
    throw new ApiError(401, "invalid_signature", `the callback signature does not verify: ${error.message}`);
  }
  // Verified, so the id is the GPU tier's own: a second use is a replay.
  const id = c.req.header("webhook-id") ?? "";
  const fresh = await c.env.DB.prepare(
    "INSERT OR IGNORE INTO callback_nonces (id, received_at) VALUES (?, ?)",
  )
    .bind(id, new Date().toISOString())
    .run();
  if (fresh.meta.changes === 0)
    throw new ApiError(409, "replayed_callback", "this callback id was already used");
  const callback = parseCallback(body);
  if (callback.job_id !== c.req.param("id"))
    throw new ApiError(400, "job_mismatch", "the callback names another job");
  const row = await jobFor(c.env, callback.job_id);
  const outcome = await applyCallback(c.env, row, callback);
  if (outcome === "already_completed")
    throw new ApiError(409, "already_completed", `the job is already ${row.status}`);
  if (outcome === "missing_outputs")
    throw new ApiError(409, "missing_outputs", "upload every output before reporting success");
  console.log(JSON.stringify({ level: "info", msg: "callback", job_id: row.id, status: callback.status }));
  return c.json({ ok: true });
});
