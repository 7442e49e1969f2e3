/** D1 access for jobs: rows in, public job objects out. */
import {
  type JobMode,
  type JobOutputName,
  type JobProgress,
  type JobQuality,
  type JobResultSummary,
  PROGRESS_STAGES,
  type ProgressStage,
} from "../../protocol/jobs.ts";
import { namedFractions } from "../inference/jobs-model.ts";
import type { WebhookEvent } from "../webhooks/enqueue.ts";
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
}

export const getJob = (db: D1Database, id: string) =>
  db.prepare("SELECT * FROM jobs WHERE id = ?").bind(id).first<JobRow>();

export async function insertJob(db: D1Database, row: JobRow): Promise<void> {
  const keys = Object.keys(row) as (keyof JobRow)[];
  await db
    .prepare(`INSERT INTO jobs (${keys.join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`)
    .bind(...keys.map((k) => row[k]))
    .run();
}

/**
 * Conditional update: applies `changes` only while the job is in one of `from`. Returns
 * whether it did, so concurrent writers cannot both win a transition.
 */
export async function transition(
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
