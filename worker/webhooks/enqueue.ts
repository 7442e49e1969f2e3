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
}

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
