/** D1 access for batches: the batches table, its items (jobs with a batch_id), its deliveries. */
import type { JobRow } from "../jobs/repo.ts";

export interface BatchRow {
  id: string;
  api_key_id: string;
  /** how many images were submitted (items are jobs with batch_index 0..size-1) */
  size: number;
  webhook_url: string | null;
  webhook_events: string;
  idempotency_key: string | null;
  request_hash: string;
  created_at: string;
  /** when batch.completed was enqueued (set once; null while any item runs) */
  completed_at: string | null;
}

const FINAL = "('succeeded', 'failed', 'canceled')";
const ENDED_JOBS = `(SELECT COUNT(*) FROM jobs WHERE batch_id = batches.id AND status IN ${FINAL})`;
/** A batch has ended: all its items' jobs ended; or, past its replay window (the one `?`), all the jobs it has. */
const ENDED = `(size = ${ENDED_JOBS} OR (created_at < ? AND ${ENDED_JOBS} = (SELECT COUNT(*) FROM jobs WHERE batch_id = batches.id)))`;

export const getBatch = (db: D1Database, id: string) =>
  db.prepare("SELECT * FROM batches WHERE id = ?").bind(id).first<BatchRow>();

/** The batch a key created with an Idempotency-Key, if any. */
export const findBatchByIdempotencyKey = (db: D1Database, apiKeyId: string, idempotencyKey: string) =>
  db
    .prepare("SELECT * FROM batches WHERE api_key_id = ? AND idempotency_key = ?")
    .bind(apiKeyId, idempotencyKey)
    .first<BatchRow>();

export async function insertBatch(db: D1Database, row: BatchRow): Promise<void> {
  const keys = Object.keys(row) as (keyof BatchRow)[];
  await db
    .prepare(`INSERT INTO batches (${keys.join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`)
    .bind(...keys.map((k) => row[k]))
    .run();
}

/** The batch's jobs in submission order. */
export async function batchJobs(db: D1Database, batchId: string): Promise<JobRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM jobs WHERE batch_id = ? ORDER BY batch_index")
    .bind(batchId)
    .all<JobRow>();
  return results;
}

/**
 * Mark the batch completed if every one of its items has a job that has ended, or if it was
 * created before `abandonedBefore` and every job it has has ended (its submission was cut short
 * and never replayed). One UPDATE, so of all the writers that end the batch's last jobs at
 * once, exactly one sees a change.
 */
export async function markBatchCompleted(
  db: D1Database,
  id: string,
  at: string,
  abandonedBefore: string,
): Promise<boolean> {
  const r = await db
    .prepare(`UPDATE batches SET completed_at = ? WHERE id = ? AND completed_at IS NULL AND ${ENDED}`)
    .bind(at, id, abandonedBefore)
    .run();
  return r.meta.changes > 0;
}

/** Undo markBatchCompleted when its webhook could not be queued, so the sweep tries again. */
export async function unmarkBatchCompleted(db: D1Database, id: string, at: string): Promise<void> {
  await db
    .prepare("UPDATE batches SET completed_at = NULL WHERE id = ? AND completed_at = ?")
    .bind(id, at)
    .run();
}

/** Batches not marked completed although they have ended (a lost completion, or abandoned). */
export async function endedOpenBatchIds(
  db: D1Database,
  abandonedBefore: string,
  limit = 100,
): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT id FROM batches WHERE completed_at IS NULL AND ${ENDED} LIMIT ?`)
    .bind(abandonedBefore, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** One batch.completed delivery attempt, as deliver.ts records it. */
export interface BatchDelivery {
  batch_id: string;
  webhook_id: string;
  event: string;
  attempt: number;
  url: string;
  outcome: "delivered" | "failed" | "refused" | "dead_lettered";
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: string;
}

export async function recordBatchDelivery(db: D1Database, d: BatchDelivery): Promise<void> {
  const keys = Object.keys(d) as (keyof BatchDelivery)[];
  await db
    .prepare(`INSERT INTO batch_deliveries (${keys.join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`)
    .bind(...keys.map((k) => d[k]))
    .run();
}

/** Whether a webhook id was already delivered (receivers get each one once). */
export async function batchWebhookDelivered(db: D1Database, webhookId: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM batch_deliveries WHERE webhook_id = ? AND outcome = 'delivered'")
    .bind(webhookId)
    .first<{ n: number }>();
  return (row?.n ?? 0) > 0;
}

/** Every delivery record of a batch's webhook, oldest first. */
export async function listBatchDeliveries(
  db: D1Database,
  batchId: string,
): Promise<(BatchDelivery & { id: number })[]> {
  const { results } = await db
    .prepare(
      "SELECT id, batch_id, webhook_id, event, attempt, url, outcome, status_code, error, duration_ms, created_at FROM batch_deliveries WHERE batch_id = ? ORDER BY id",
    )
    .bind(batchId)
    .all<BatchDelivery & { id: number }>();
  return results;
}
