/**
 * Job lifecycle at the edge: accept (R2 + D1 + SQS), dispatch, record the GPU tier's
 * callbacks, cancel, and sweep. Routes stay thin and call these.
 *
 * Nothing accepted is lost: the input is in R2 and the row in D1 before we answer 202; if
 * the SQS send fails the job stays `queued` with no `dispatched_at`, and the cron sweep
 * sends it again. Duplicate deliveries are harmless: every write for a finished job is
 * refused with 409 `already_completed`, which the GPU service treats as done.
 */
import {
  JOB_MESSAGE_VERSION,
  type JobCallback,
  type JobMessage,
  type JobMode,
  type JobOutputName,
  type JobQuality,
  jobMessageSchema,
  OUTPUT_CONTENT_TYPES,
} from "../../protocol/jobs.ts";
import { randomId } from "../auth/keys.ts";
import { deleteFullRateLimitBuckets } from "../auth/rate-limit.ts";
import { completeBatchIfEnded, completeEndedBatches } from "../batches/completion.ts";
import { publicOrigin } from "../config.ts";
import { forgetCallbackIdsBefore } from "../internal/nonces.ts";
import { enqueueWebhook } from "../webhooks/enqueue.ts";
import { sendToQueue } from "./dispatch.ts";
import {
  cancelOverdueJob,
  cancelQueuedJob,
  findJobsToDispatch,
  findOverdueJobs,
  findStuckJobs,
  getJob,
  insertJob,
  type JobRow,
  jobView,
  markJobDispatched,
  markJobFailed,
  markJobRunning,
  markJobSucceeded,
  type ResultLinks,
  recordProgress,
  requeueStuckJob,
} from "./repo.ts";
import { signUrl } from "./signed-urls.ts";
import {
  expiryFor,
  isFinal,
  MAX_ATTEMPTS,
  MAX_DISPATCHES,
  REDISPATCH_AFTER_MS,
  RUN_DEADLINE_MS,
} from "./state.ts";

/** Signed URLs for the GPU tier live as long as a job may (queue wait + run + retries). */
const WORKER_URL_TTL_SECONDS = 60 * 60;
/** Result links handed to clients. */
const RESULT_URL_TTL_SECONDS = 15 * 60;

export const outputKey = (jobId: string, name: JobOutputName) => `outputs/${jobId}/${name}`;

export interface NewJob {
  apiKeyId: string;
  bytes: Uint8Array;
  contentType: string;
  width: number;
  height: number;
  mode: JobMode;
  quality: JobQuality;
  outputs: JobOutputName[];
  webhookUrl: string | null;
  webhookEvents: string[];
  /** Cancel-After: seconds from now, or null */
  cancelAfterS?: number | null;
  idempotencyKey: string | null;
  requestHash: string;
  /** the batch this job is an item of, and its index there */
  batch?: { id: string; index: number };
}

export async function acceptJob(env: Env, job: NewJob): Promise<JobRow> {
  const origin = publicOrigin(env); // before any write: a misconfigured Worker stores nothing
  const accepted = Date.now();
  const now = new Date(accepted).toISOString();
  const id = randomId("job");
  const row: JobRow = {
    id,
    api_key_id: job.apiKeyId,
    status: "queued",
    mode: job.mode,
    quality: job.quality,
    outputs: JSON.stringify(job.outputs),
    webhook_url: job.webhookUrl,
    webhook_events: JSON.stringify(job.webhookEvents),
    input_key: `inputs/${id}`,
    input_bytes: job.bytes.byteLength,
    input_type: job.contentType,
    width: job.width,
    height: job.height,
    idempotency_key: job.idempotencyKey,
    request_hash: job.requestHash,
    attempts: 0,
    dispatches: 0,
    dispatched_at: null,
    error_code: null,
    error_message: null,
    result: null,
    created_at: now,
    started_at: null,
    finished_at: null,
    deadline_at: null,
    cancel_after_at:
      job.cancelAfterS == null ? null : new Date(accepted + job.cancelAfterS * 1000).toISOString(),
    origin,
    updated_at: now,
    expires_at: null,
    purged_at: null,
    progress_stage: null,
    progress_fraction: null,
    ...(job.batch ? { batch_id: job.batch.id, batch_index: job.batch.index } : {}),
  };
  await env.BUCKET.put(row.input_key, job.bytes, { httpMetadata: { contentType: job.contentType } });
  try {
    await insertJob(env.DB, row);
  } catch (error) {
    // No row will ever name this input (a lost race for the Idempotency-Key, or D1 failed):
    // delete it now, since retention only finds data through job rows.
    await env.BUCKET.delete(row.input_key).catch(() => {});
    throw error;
  }
  await dispatch(env, row);
  return (await getJob(env.DB, id)) ?? row;
}

/**
 * Build the SQS message for a job, with fresh signed URLs on the configured public origin
 * (not the job's stored origin, so a re-send follows a corrected configuration).
 */
export async function jobMessage(env: Env, row: JobRow): Promise<JobMessage> {
  const secret = env.URL_SIGNING_SECRET;
  const base = publicOrigin(env);
  const outputs: Partial<Record<JobOutputName, { url: string; content_type: string }>> = {};
  const wanted = JSON.parse(row.outputs) as JobOutputName[];
  const input = await signUrl(secret, base, "GET", `/internal/jobs/${row.id}/input`, WORKER_URL_TTL_SECONDS);
  for (const name of wanted) {
    const { url } = await signUrl(
      secret,
      base,
      "PUT",
      `/internal/jobs/${row.id}/outputs/${name}`,
      WORKER_URL_TTL_SECONDS,
    );
    outputs[name] = { url, content_type: OUTPUT_CONTENT_TYPES[name] };
  }
  // Parsed here as the GPU tier will parse it: a message that breaks the contract fails the
  // dispatch (and is logged) rather than travel to the dead-letter queue.
  return jobMessageSchema.parse({
    version: JOB_MESSAGE_VERSION,
    job_id: row.id,
    mode: row.mode,
    quality: row.quality,
    input: { url: input.url, content_type: row.input_type, bytes: row.input_bytes },
    outputs,
    callback: { url: `${base}/internal/jobs/${row.id}/callback` },
    created_at: row.created_at,
    expires_at: input.expiresAt,
    ...(row.cancel_after_at ? { cancel_after_at: row.cancel_after_at } : {}),
  });
}

/** Send to SQS; on failure log and leave the job for the sweep (never throws). */
export async function dispatch(env: Env, row: JobRow): Promise<boolean> {
  try {
    await sendToQueue(env, await jobMessage(env, row));
    await markJobDispatched(env.DB, row, new Date().toISOString());
    return true;
  } catch (error) {
    console.error(
      JSON.stringify({
        level: "warn",
        msg: "dispatch failed; the sweep will retry",
        job_id: row.id,
        error: String(error),
      }),
    );
    return false;
  }
}

export async function resultLinks(env: Env, row: JobRow): Promise<ResultLinks | undefined> {
  // After retention (or DELETE) removed the outputs there is nothing to link to.
  if (row.status !== "succeeded" || row.purged_at) return undefined;
  const secret = env.URL_SIGNING_SECRET;
  const origin = publicOrigin(env);
  const mask = await signUrl(
    secret,
    origin,
    "GET",
    `/v1/jobs/${row.id}/outputs/mask`,
    RESULT_URL_TTL_SECONDS,
  );
  const links: ResultLinks = { mask_url: mask.url, expires_at: mask.expiresAt };
  for (const name of JSON.parse(row.outputs) as JobOutputName[]) {
    if (name === "mask") continue;
    const path = `/v1/jobs/${row.id}/outputs/${name}`;
    links[`${name}_url`] = (await signUrl(secret, origin, "GET", path, RESULT_URL_TTL_SECONDS)).url;
  }
  return links;
}

/** The job as clients see it, with result links on the configured public origin. */
export async function publicJob(env: Env, row: JobRow) {
  return jobView(row, await resultLinks(env, row));
}

export type CallbackOutcome = "applied" | "already_completed" | "missing_outputs";

/** Apply a verified callback from the GPU tier to the job's state. */
export async function applyCallback(env: Env, row: JobRow, cb: JobCallback): Promise<CallbackOutcome> {
  // Past the client's deadline nothing the GPU tier says counts: the job is canceled (if the
  // sweep has not done it yet), and the 409 tells the GPU tier to stop.
  if (overdue(row, Date.now())) {
    await cancelOverdue(env, row);
    return "already_completed";
  }
  const now = new Date().toISOString();
  if (cb.status === "running") {
    // The first start only (a requeued job keeps its started_at). Enqueued before the
    // transition, as below; the consumer delivers it once started_at is set, and drops it if
    // the job ended without starting.
    if (row.started_at === null) await enqueueWebhook(env, row, "job.started");
    const ok = await markJobRunning(env.DB, row, now, new Date(Date.now() + RUN_DEADLINE_MS).toISOString());
    return ok ? "applied" : "already_completed";
  }
  if (cb.status === "progress") {
    // A stale or out-of-order report is not an error: the GPU tier sends them without waiting,
    // and a later one has already said more. Only a final job answers 409, as for any callback.
    if (isFinal(row.status)) return "already_completed";
    await recordProgress(env.DB, row.id, { stage: cb.stage, fraction: cb.fraction });
    return "applied";
  }
  if (cb.status === "succeeded") {
    for (const name of cb.result.outputs) {
      if (!(await env.BUCKET.head(outputKey(row.id, name)))) return "missing_outputs";
    }
    // Enqueue before the transition: if the queue is down we answer 5xx and the GPU service
    // retries, instead of a finished job whose webhook is never sent. The consumer drops the
    // message if the transition did not happen, and deduplicates by webhook id.
    // A job whose `running` report was lost still started: its job.started goes out too.
    if (row.started_at === null) await enqueueWebhook(env, row, "job.started");
    await enqueueWebhook(env, row, "job.succeeded");
    const ok = await ended(
      env,
      row,
      await markJobSucceeded(env.DB, row, cb.result, now, expiryFor(Date.parse(now))),
    );
    return ok ? "applied" : "already_completed";
  }
  return (await failJob(env, row, cb.error.code, cb.error.message)) ? "applied" : "already_completed";
}

export async function failJob(env: Env, row: JobRow, code: string, message: string): Promise<boolean> {
  await enqueueWebhook(env, row, "job.failed"); // first, as in applyCallback
  const now = Date.now();
  return ended(
    env,
    row,
    await markJobFailed(env.DB, row.id, { code, message }, new Date(now).toISOString(), expiryFor(now)),
  );
}

export async function cancelJob(env: Env, row: JobRow): Promise<boolean> {
  // Only a queued job can be canceled here: a running one would leave a job.canceled message
  // waiting for an ending that is not coming.
  if (row.status === "queued") await enqueueWebhook(env, row, "job.canceled"); // first, as in applyCallback
  const now = Date.now();
  return ended(env, row, await cancelQueuedJob(env.DB, row.id, new Date(now).toISOString(), expiryFor(now)));
}

/**
 * After a transition to a final state: if it happened (`changed`) and the job is a batch's
 * item, see whether the batch has ended. Returns `changed`.
 */
async function ended(env: Env, row: JobRow, changed: boolean): Promise<boolean> {
  if (changed && row.batch_id) await completeBatchIfEnded(env, row.batch_id);
  return changed;
}

/** Whether the client's deadline (Cancel-After) has passed at `now` (ms). */
const overdue = (row: JobRow, now: number) =>
  row.cancel_after_at !== null && Date.parse(row.cancel_after_at) <= now;

/** Cancel a job whose Cancel-After passed, with the reason; false if it had already ended. */
export async function cancelOverdue(env: Env, row: JobRow, now = Date.now()): Promise<boolean> {
  await enqueueWebhook(env, row, "job.canceled"); // first, as in applyCallback
  const seconds = Math.round((Date.parse(row.cancel_after_at ?? "") - Date.parse(row.created_at)) / 1000);
  return ended(
    env,
    row,
    await cancelOverdueJob(
      env.DB,
      row.id,
      `the job did not finish within its Cancel-After of ${seconds} s`,
      new Date(now).toISOString(),
      expiryFor(now),
    ),
  );
}

/**
 * The cron sweep: cancel jobs past their client's deadline (Cancel-After), re-send queued jobs whose message never left or never started (at most
 * MAX_DISPATCHES sends, then the job fails `not_started`), hand running jobs past their
 * deadline back to the queue, and fail those out of attempts.
 */
export async function sweep(
  env: Env,
  now = Date.now(),
): Promise<{ canceled: number; redispatched: number; requeued: number; failed: number }> {
  const stats = { canceled: 0, redispatched: 0, requeued: 0, failed: 0 };
  // First, so that an overdue job is never sent again or requeued below.
  for (const row of await findOverdueJobs(env.DB, new Date(now).toISOString()))
    if (await cancelOverdue(env, row, now)) stats.canceled++;
  const stale = new Date(now - REDISPATCH_AFTER_MS).toISOString();
  for (const row of await findJobsToDispatch(env.DB, stale)) {
    // Sent that often and never started: no GPU tier is taking it (or its callbacks go
    // elsewhere); failing with a reason beats re-sending forever.
    if (row.dispatches >= MAX_DISPATCHES) {
      const reason = `the GPU tier did not start the job after ${row.dispatches} sends`;
      if (await failJob(env, row, "not_started", reason)) stats.failed++;
    } else if (await dispatch(env, row)) stats.redispatched++;
  }
  for (const row of await findStuckJobs(env.DB, new Date(now).toISOString())) {
    if (row.attempts >= MAX_ATTEMPTS) {
      if (
        await failJob(env, row, "deadline_exceeded", `the job did not finish after ${row.attempts} attempts`)
      )
        stats.failed++;
    } else if (await requeueStuckJob(env.DB, row.id)) {
      const fresh = await getJob(env.DB, row.id);
      if (fresh) await dispatch(env, fresh);
      stats.requeued++;
    }
  }
  // A batch whose last job ended while its completion could not be recorded or queued.
  await completeEndedBatches(env);
  // Housekeeping: replay protection only needs callbacks within the tolerance window, and
  // a rate-limit bucket only until it is full again.
  await Promise.all([
    forgetCallbackIdsBefore(env.DB, new Date(now - 3_600_000).toISOString()),
    deleteFullRateLimitBuckets(env.DB, now),
  ]);
  if (stats.canceled + stats.redispatched + stats.requeued + stats.failed > 0)
    console.log(JSON.stringify({ level: "info", msg: "sweep", ...stats }));
  return stats;
}
