/** Put a webhook delivery on the queue: the request path never waits on a receiver. */
import type { JobRow } from "../jobs/repo.ts";

export type WebhookEvent = "job.succeeded" | "job.failed";

/** A job's webhook on the queue. */
export interface WebhookTask {
  job_id: string;
  event: WebhookEvent;
  /** Stable across retries so receivers can deduplicate (Standard Webhooks `webhook-id`). */
  webhook_id: string;
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
