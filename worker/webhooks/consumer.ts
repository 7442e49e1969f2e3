/**
 * The webhook queue consumer. Failed deliveries are retried with exponential backoff; after
 * the queue's max_retries the message lands in the dead-letter queue, whose consumer records
 * the final outcome so GET /v1/jobs/:id/deliveries shows it.
 */

import { deliverWebhook, retryDelaySeconds } from "./deliver.ts";
import type { WebhookTask } from "./enqueue.ts";

export async function handleWebhookBatch(batch: MessageBatch<WebhookTask>, env: Env): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  const base = Number(env.WEBHOOK_RETRY_BASE_SECONDS ?? 2);
  for (const message of batch.messages) {
    const task = message.body;
    if (dead) {
      await env.DB.prepare(
        "INSERT INTO webhook_deliveries (job_id, webhook_id, event, attempt, url, outcome, status_code, error, duration_ms, created_at) SELECT id, ?, ?, 0, COALESCE(webhook_url, ''), 'dead_lettered', NULL, 'gave up after the last retry', 0, ? FROM jobs WHERE id = ?",
      )
        .bind(task.webhook_id, task.event, new Date().toISOString(), task.job_id)
        .run();
      message.ack();
      continue;
    }
    const job = await env.DB.prepare(
      "SELECT status, (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = ? AND d.outcome = 'delivered') AS delivered FROM jobs WHERE id = ?",
    )
      .bind(task.webhook_id, task.job_id)
      .first<{ status: string; delivered: number }>();
    // Enqueued just before the job's transition: wait for it, drop it if another outcome won,
    // and never deliver the same webhook id twice.
    if (job && (job.status === "queued" || job.status === "running")) {
      message.retry({ delaySeconds: 2 });
      continue;
    }
    if (!job || `job.${job.status}` !== task.event || job.delivered > 0) {
      message.ack();
      continue;
    }
    const result = await deliverWebhook(env, task, message.attempts);
    console.log(
      JSON.stringify({
        level: "info",
        msg: "webhook",
        job_id: task.job_id,
        event: task.event,
        attempt: message.attempts,
        ...result,
      }),
    );
    if (result.outcome === "failed")
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, base) });
    else message.ack(); // delivered, or refused by policy (retrying cannot help)
  }
}
