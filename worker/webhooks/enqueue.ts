/** Put a webhook delivery on the queue: the request path never waits on a receiver. */
import type { JobRow } from "../jobs/repo.ts";

/**
 * `job.started`: the GPU tier took the job (its first `running` report); `job.succeeded`,
 * `job.failed`, `job.canceled` (DELETE of a queued job, or its Cancel-After passed): it ended.
 */
export type WebhookEvent = "job.started" | "job.succeeded" | "job.failed" | "job.canceled";

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
