/**
 * The deliveries repository: every SQL statement on the `webhook_deliveries` table, one row
 * per attempt to deliver a webhook (and one `dead_lettered` row when the queue gave up).
 * The delivery attempt, the queue consumers and GET/POST /v1/jobs/:id/deliveries use it.
 */
import type { WebhookEvent, WebhookTask } from "./enqueue.ts";

/** What an attempt came to; `dead_lettered` is the dead-letter queue's record, not an attempt. */
export type DeliveryOutcome = "delivered" | "failed" | "refused" | "dead_lettered";

/** One row of webhook_deliveries, as GET /v1/jobs/{id}/deliveries lists it. */
export interface DeliveryRow {
  /** the row's id: POST /v1/jobs/{id}/deliveries/{delivery_id}/redeliver names it */
  id: number;
  webhook_id: string;
  event: WebhookEvent;
  attempt: number;
  url: string;
  outcome: DeliveryOutcome;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: string;
}

const COLUMNS = "id, webhook_id, event, attempt, url, outcome, status_code, error, duration_ms, created_at";

/** Record one delivery attempt of a job's webhook. */
export async function recordDeliveryAttempt(
  db: D1Database,
  jobId: string,
  attempt: Omit<DeliveryRow, "id">,
): Promise<void> {
  await db
    .prepare(
      "INSERT INTO webhook_deliveries (job_id, webhook_id, event, attempt, url, outcome, status_code, error, duration_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(
      jobId,
      attempt.webhook_id,
      attempt.event,
      attempt.attempt,
      attempt.url,
      attempt.outcome,
      attempt.status_code,
      attempt.error,
      attempt.duration_ms,
      attempt.created_at,
    )
    .run();
}

/**
 * Record that the queue gave up on a webhook (attempt 0, outcome `dead_lettered`), with the
 * job's webhook URL; nothing when the job is gone.
 */
export async function recordDeadLettered(db: D1Database, task: WebhookTask, at: string): Promise<void> {
  await db
    .prepare(
      "INSERT INTO webhook_deliveries (job_id, webhook_id, event, attempt, url, outcome, status_code, error, duration_ms, created_at) SELECT id, ?, ?, 0, COALESCE(webhook_url, ''), 'dead_lettered', NULL, 'gave up after the last retry', 0, ? FROM jobs WHERE id = ?",
    )
    .bind(task.webhook_id, task.event, at, task.job_id)
    .run();
}

/** Whether any attempt of this webhook id was delivered (receivers must see it once). */
export async function wasDelivered(db: D1Database, webhookId: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT 1 AS yes FROM webhook_deliveries WHERE webhook_id = ? AND outcome = 'delivered' LIMIT 1")
    .bind(webhookId)
    .first();
  return row !== null;
}

/**
 * Claim the sending of a webhook until `until` (ISO time): true when this caller holds it now,
 * false while another send of the same webhook-id is in flight. One statement, so two consumers
 * cannot both win; a claim whose time passed (its consumer died mid-send) is taken over.
 */
export async function claimWebhook(
  db: D1Database,
  webhookId: string,
  now: string,
  until: string,
): Promise<boolean> {
  const r = await db
    .prepare(
      "INSERT INTO webhook_claims (webhook_id, claimed_until) VALUES (?, ?) ON CONFLICT (webhook_id) DO UPDATE SET claimed_until = excluded.claimed_until WHERE webhook_claims.claimed_until <= ?",
    )
    .bind(webhookId, until, now)
    .run();
  return r.meta.changes > 0;
}

/** End a claim once its send has an outcome (recorded in webhook_deliveries). */
export async function releaseWebhook(db: D1Database, webhookId: string): Promise<void> {
  await db.prepare("DELETE FROM webhook_claims WHERE webhook_id = ?").bind(webhookId).run();
}

/** Every delivery row of a job, oldest first. */
export async function listDeliveries(db: D1Database, jobId: string): Promise<DeliveryRow[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM webhook_deliveries WHERE job_id = ? ORDER BY id`)
    .bind(jobId)
    .all<DeliveryRow>();
  return results;
}

/** The delivery row with this id if it belongs to this job, or null. */
export const getDelivery = (db: D1Database, jobId: string, deliveryId: number) =>
  db
    .prepare(`SELECT ${COLUMNS} FROM webhook_deliveries WHERE id = ? AND job_id = ?`)
    .bind(deliveryId, jobId)
    .first<DeliveryRow>();

/** The highest attempt number recorded for a webhook id (0 when none). */
export async function lastAttempt(db: D1Database, webhookId: string): Promise<number> {
  const row = await db
    .prepare("SELECT COALESCE(MAX(attempt), 0) AS attempt FROM webhook_deliveries WHERE webhook_id = ?")
    .bind(webhookId)
    .first<{ attempt: number }>();
  return row?.attempt ?? 0;
}
