/** Put a webhook delivery on the queue: the request path never waits on a receiver. */
import type { WebhookEvent } from "../../protocol/webhook-events.ts";
import type { JobRow } from "../jobs/repo.ts";

export type { WebhookEvent };

/** A job's webhook on the queue. */
export interface WebhookTask {
  job_id: string;
  event: WebhookEvent;
  /** Stable across retries so receivers can deduplicate (Standard Webhooks `webhook-id`). */
  webhook_id: string;
  /**
   * Set on a redelivery (POST .../redeliver) only: the attempts already recorded for this
   * webhook id. Its attempts are numbered after them, and it is sent even if an earlier
   * attempt was delivered (the client asked for it again).
   */
  attempts_before?: number;
}

/** A batch's one batch.completed on the queue. */
export interface BatchWebhookTask {
  batch_id: string;
  event: "batch.completed";
  webhook_id: string;
}

/** Whatever the webhook queue carries. */
export type QueuedWebhook = WebhookTask | BatchWebhookTask;

export const isBatchTask = (task: QueuedWebhook): task is BatchWebhookTask => "batch_id" in task;

/** Queue the delivery of a job's event, if the job asked for webhooks of that event. */
export async function enqueueWebhook(env: Env, row: JobRow, event: WebhookEvent): Promise<void> {
  if (!row.webhook_url) return;
  const events = JSON.parse(row.webhook_events) as string[];
  if (!events.includes(event)) return;
  const task: WebhookTask = {
    job_id: row.id,
    event,
    webhook_id: `msg_${row.id}_${event.replace("job.", "")}`,
  };
  await env.WEBHOOKS.send(task, { contentType: "json" });
}

/**
 * Queue one more delivery of a webhook that was sent before, with the same `webhook-id` so
 * that a receiver which did process it can tell; its attempts follow `attemptsBefore`.
 */
export async function enqueueRedelivery(
  env: Env,
  delivery: { job_id: string; event: WebhookEvent; webhook_id: string },
  attemptsBefore: number,
): Promise<void> {
  const task: WebhookTask = { ...delivery, attempts_before: attemptsBefore };
  await env.WEBHOOKS.send(task, { contentType: "json" });
}

/** Queue a batch's batch.completed, if its webhook asked for it. */
export async function enqueueBatchWebhook(
  env: Env,
  batch: { id: string; webhook_url: string | null; webhook_events: string },
): Promise<void> {
  if (!batch.webhook_url) return;
  if (!(JSON.parse(batch.webhook_events) as string[]).includes("batch.completed")) return;
  const task: BatchWebhookTask = {
    batch_id: batch.id,
    event: "batch.completed",
    webhook_id: `msg_${batch.id}_completed`,
  };
  await env.WEBHOOKS.send(task, { contentType: "json" });
}
