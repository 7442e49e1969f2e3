/**
 * The jobs repository: every SQL statement that writes the `jobs` table is here (insert, the
 * conditional state transitions, the sweep's and retention's queries), with the reads of one
 * job and the row's public view. Two reads live with the feature that asks them: a batch's
 * items and its progress counts (batches/repo.ts), and the dead-letter record that copies a
 * job's webhook URL into `webhook_deliveries` (webhooks/deliveries.ts). Routes, the callback
 * route, the webhook consumer and the cron call these functions; what a transition means
 * (which states it may leave) is named once, in its function.
 */
import {
  type JobMode,
  type JobOutputName,
  type JobProgress,
  type JobQuality,
  type JobResultSummary,
  PROGRESS_STAGES,
  type ProgressStage,
} from "../../protocol/jobs.ts";
import type { WebhookEvent } from "../../protocol/webhook-events.ts";
import { namedFractions } from "../inference/jobs-model.ts";
import type { JobStatus } from "./state.ts";

export interface JobRow {
  id: string;
  api_key_id: string;
  status: JobStatus;
  mode: JobMode;
  quality: JobQuality;
  outputs: string;
  webhook_url: string | null;
  webhook_events: string;
  input_key: string;
  input_bytes: number;
  input_type: string;
  width: number;
  height: number;
  idempotency_key: string | null;
  request_hash: string;
  attempts: number;
  /** how many times the job's message was sent to the queue (capped by the sweep) */
  dispatches: number;
  dispatched_at: string | null;
  error_code: string | null;
  error_message: string | null;
  result: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** when a run counts as stuck (RUN_DEADLINE_MS after it started; the sweep requeues it) */
  deadline_at: string | null;
  /** the client's deadline (Cancel-After): not finished by then, the job is canceled */
  cancel_after_at: string | null;
  /** the configured public origin when the job was accepted (a record; URLs use the current one) */
  origin: string;
  updated_at: string;
  /** when the input and outputs are deleted (set once the job is final; retention.ts) */
  expires_at: string | null;
  /** when they were deleted */
  purged_at: string | null;
  /** the last stage the GPU tier reported (migration 0006); null before the first report */
  progress_stage: ProgressStage | null;
  /** the share of the whole job done at that report, 0..1 */
  progress_fraction: number | null;
  /** the batch the job is an item of (worker/batches/), and its index there; absent otherwise */
  batch_id?: string | null;
  batch_index?: number | null;
}

/** The job with this id, or null. */
export const getJob = (db: D1Database, id: string) =>
  db.prepare("SELECT * FROM jobs WHERE id = ?").bind(id).first<JobRow>();

/** Insert a new job row (fails on a second row for one key's Idempotency-Key). */
export async function insertJob(db: D1Database, row: JobRow): Promise<void> {
  const keys = Object.keys(row) as (keyof JobRow)[];
  await db
    .prepare(`INSERT INTO jobs (${keys.join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`)
    .bind(...keys.map((k) => row[k]))
    .run();
}

/** The job a key created with this Idempotency-Key, or null. */
export const findJobByIdempotencyKey = (db: D1Database, apiKeyId: string, idempotencyKey: string) =>
  db
    .prepare("SELECT * FROM jobs WHERE api_key_id = ? AND idempotency_key = ?")
    .bind(apiKeyId, idempotencyKey)
    .first<JobRow>();

/**
 * Up to `limit` of a key's jobs, newest first, after the position `before` ([created_at, id]
 * of the last job of the previous page, from the cursor) when given.
 */
export async function listJobsOfKey(
  db: D1Database,
  apiKeyId: string,
  limit: number,
  before?: readonly [createdAt: string, id: string],
): Promise<JobRow[]> {
  const { results } = before
    ? await db
        .prepare(
          "SELECT * FROM jobs WHERE api_key_id = ? AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(apiKeyId, before[0], before[0], before[1], limit)
        .all<JobRow>()
    : await db
        .prepare("SELECT * FROM jobs WHERE api_key_id = ? ORDER BY created_at DESC, id DESC LIMIT ?")
        .bind(apiKeyId, limit)
        .all<JobRow>();
  return results;
}

/**
 * Conditional update: applies `changes` only while the job is in one of `from`. Returns
 * whether it did, so concurrent writers cannot both win a transition.
 */
async function transition(
  db: D1Database,
  id: string,
  from: JobStatus[],
  changes: Partial<JobRow>,
): Promise<boolean> {
  const entries = Object.entries({ ...changes, updated_at: new Date().toISOString() });
  const sql = `UPDATE jobs SET ${entries.map(([k]) => `${k} = ?`).join(", ")} WHERE id = ? AND status IN (${from.map(() => "?").join(", ")})`;
  const r = await db
    .prepare(sql)
    .bind(...entries.map(([, v]) => v ?? null), id, ...from)
    .run();
  return r.meta.changes > 0;
}

// The transitions. Each returns whether it applied (false: the job had left `from` already).

/** Record one more send of a queued job's message to the GPU queue. */
export const markJobDispatched = (db: D1Database, row: JobRow, at: string) =>
  transition(db, row.id, ["queued"], { dispatched_at: at, dispatches: row.dispatches + 1 });

/** The GPU tier started (or restarted) the job: one more attempt, a fresh run deadline. */
export const markJobRunning = (db: D1Database, row: JobRow, at: string, deadlineAt: string) =>
  transition(db, row.id, ["queued", "running"], {
    status: "running",
    started_at: row.started_at ?? at,
    attempts: row.attempts + 1,
    deadline_at: deadlineAt,
  });

/** The job succeeded with `result`; its data expires at `expiresAt`. */
export const markJobSucceeded = (
  db: D1Database,
  row: JobRow,
  result: JobResultSummary,
  at: string,
  expiresAt: string,
) =>
  transition(db, row.id, ["queued", "running"], {
    status: "succeeded",
    result: JSON.stringify(result),
    started_at: row.started_at ?? at,
    finished_at: at,
    expires_at: expiresAt,
  });

/** The job failed with an error code and message; its data expires at `expiresAt`. */
export const markJobFailed = (
  db: D1Database,
  id: string,
  error: { code: string; message: string },
  at: string,
  expiresAt: string,
) =>
  transition(db, id, ["queued", "running"], {
    status: "failed",
    error_code: error.code,
    error_message: error.message,
    finished_at: at,
    expires_at: expiresAt,
  });

/** Cancel a job that has not started (DELETE /v1/jobs/:id). */
export const cancelQueuedJob = (db: D1Database, id: string, at: string, expiresAt: string) =>
  transition(db, id, ["queued"], { status: "canceled", finished_at: at, expires_at: expiresAt });

/** Cancel a queued or running job whose Cancel-After passed, with the reason. */
export const cancelOverdueJob = (
  db: D1Database,
  id: string,
  message: string,
  at: string,
  expiresAt: string,
) =>
  transition(db, id, ["queued", "running"], {
    status: "canceled",
    error_code: "deadline_exceeded",
    error_message: message,
    finished_at: at,
    expires_at: expiresAt,
  });

/**
 * Hand a running job past its run deadline back to the queue, as never sent. Its progress is
 * cleared: the next run starts over, and its reports must not be refused as going backwards.
 */
export const requeueStuckJob = (db: D1Database, id: string) =>
  transition(db, id, ["running"], {
    status: "queued",
    dispatched_at: null,
    deadline_at: null,
    progress_stage: null,
    progress_fraction: null,
  });

// The cron sweep's reads: at most 100 jobs of each kind per run.

/** Queued or running jobs whose Cancel-After is at or before `at`. */
export async function findOverdueJobs(db: D1Database, at: string): Promise<JobRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM jobs WHERE status IN ('queued', 'running') AND cancel_after_at <= ? LIMIT 100")
    .bind(at)
    .all<JobRow>();
  return results;
}

/** Queued jobs whose message was never sent, or last sent before `staleBefore`. */
export async function findJobsToDispatch(db: D1Database, staleBefore: string): Promise<JobRow[]> {
  const { results } = await db
    .prepare(
      "SELECT * FROM jobs WHERE status = 'queued' AND (dispatched_at IS NULL OR dispatched_at < ?) LIMIT 100",
    )
    .bind(staleBefore)
    .all<JobRow>();
  return results;
}

/** Running jobs whose run deadline is before `at`. */
export async function findStuckJobs(db: D1Database, at: string): Promise<JobRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM jobs WHERE status = 'running' AND deadline_at < ? LIMIT 100")
    .bind(at)
    .all<JobRow>();
  return results;
}

// Retention (retention.ts): which jobs' stored data to delete, and recording that it was.

/** Up to `limit` jobs whose data is still stored and whose `expires_at` is at or before `at`. */
export async function findExpiredJobs(
  db: D1Database,
  at: string,
  limit: number,
): Promise<Pick<JobRow, "id" | "input_key">[]> {
  const { results } = await db
    .prepare(
      "SELECT id, input_key FROM jobs WHERE purged_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ? LIMIT ?",
    )
    .bind(at, limit)
    .all<Pick<JobRow, "id" | "input_key">>();
  return results;
}

/** Record that a final job's data was deleted at `at` on request: it expires then too. */
export async function markFinalJobPurged(db: D1Database, id: string, at: string): Promise<void> {
  await db
    .prepare(
      "UPDATE jobs SET purged_at = ?, expires_at = MIN(COALESCE(expires_at, ?), ?), updated_at = ? WHERE id = ? AND status IN ('succeeded', 'failed', 'canceled')",
    )
    .bind(at, at, at, at, id)
    .run();
}

/** Record that the data of these (expired) jobs was deleted at `at`, in one batch. */
export async function markJobsPurged(db: D1Database, ids: readonly string[], at: string): Promise<void> {
  await db.batch(ids.map((id) => db.prepare("UPDATE jobs SET purged_at = ? WHERE id = ?").bind(at, id)));
}

/** A stage's place in PROGRESS_STAGES, in SQL (the stage names are our constants, not input). */
const STAGE_RANK_SQL = `CASE progress_stage ${PROGRESS_STAGES.map((stage, i) => `WHEN '${stage}' THEN ${i}`).join(" ")} END`;

/**
 * Store a progress report of a running job, only if it moves the job forward: the same or a
 * later stage and at least the stored fraction. One conditional UPDATE, so reports arriving
 * out of order or concurrently can never move a job back. Returns whether it was stored
 * (false: stale, or the job is not running).
 */
export async function recordProgress(db: D1Database, id: string, progress: JobProgress): Promise<boolean> {
  const rank = PROGRESS_STAGES.indexOf(progress.stage);
  const r = await db
    .prepare(
      `UPDATE jobs SET progress_stage = ?, progress_fraction = ?, updated_at = ? WHERE id = ? AND status = 'running' AND (progress_stage IS NULL OR (${STAGE_RANK_SQL} <= ? AND progress_fraction <= ?))`,
    )
    .bind(progress.stage, progress.fraction, new Date().toISOString(), id, rank, progress.fraction)
    .run();
  return r.meta.changes > 0;
}

/**
 * Progress as clients see it: null while queued (also after a requeue: the next run reports
 * afresh) and before the first report; the last stage at fraction 1 once succeeded; where it
 * stopped once failed or canceled.
 */
export function progressView(row: JobRow): JobProgress | null {
  if (row.status === "queued") return null;
  if (row.status === "succeeded") return { stage: PROGRESS_STAGES.at(-1)!, fraction: 1 };
  if (row.progress_stage === null) return null;
  return { stage: row.progress_stage, fraction: row.progress_fraction ?? 0 };
}

/** A signed link per output written: `mask_url` always, `<name>_url` for each requested one. */
export type ResultLinks = { mask_url: string; expires_at: string } & {
  [N in Exclude<JobOutputName, "mask"> as `${N}_url`]?: string;
};

/** The job as clients see it (GET /v1/jobs/:id and a webhook's `data`). */
export function jobView(row: JobRow, links?: ResultLinks) {
  const summary = row.result ? (JSON.parse(row.result) as JobResultSummary) : null;
  return {
    id: row.id,
    object: "job" as const,
    status: row.status,
    mode: row.mode,
    quality: row.quality,
    outputs: JSON.parse(row.outputs) as JobOutputName[],
    input: { content_type: row.input_type, bytes: row.input_bytes, width: row.width, height: row.height },
    webhook: row.webhook_url
      ? { url: row.webhook_url, events: JSON.parse(row.webhook_events) as WebhookEvent[] }
      : null,
    attempts: row.attempts,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    expires_at: row.expires_at,
    cancel_after_at: row.cancel_after_at,
    batch_id: row.batch_id ?? null,
    batch_index: row.batch_index ?? null,
    progress: progressView(row),
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? "" } : null,
    result:
      summary && links
        ? {
            model: summary.model,
            width: summary.width,
            height: summary.height,
            classes: namedFractions(summary.class_fractions),
            class_fractions: summary.class_fractions,
            provider: summary.provider,
            timings_ms: summary.timings_ms,
            ...links,
          }
        : null,
  };
}

export type JobView = ReturnType<typeof jobView>;
