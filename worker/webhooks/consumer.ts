/**
 * The webhook queue consumer. Failed deliveries are retried with exponential backoff; after
 * the queue's max_retries the message lands in the dead-letter queue, whose consumer records
 * the final outcome so GET /v1/jobs/:id/deliveries shows it.
 */

import { isFinal, type JobStatus } from "../jobs/state.ts";
import { deliverWebhook, retryDelaySeconds } from "./deliver.ts";
import type { WebhookEvent, WebhookTask } from "./enqueue.ts";

/**
 * Deliveries of one batch in flight together. A receiver that never answers holds its slot for
 * the 10 s timeout, not the whole batch; Workers open at most 6 connections at once per
 * invocation (more would only wait inside the runtime), so 6 is also the useful bound.
 */
export const DELIVERY_CONCURRENCY = 6;

export async function handleWebhookBatch(batch: MessageBatch<WebhookTask>, env: Env): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  const base = Number(env.WEBHOOK_RETRY_BASE_SECONDS ?? 2);
  await forEachBounded(batch.messages, DELIVERY_CONCURRENCY, async (message) => {
    try {
      await handle(message);
    } catch (error) {
      // One message's failure (a D1 hiccup) must not fail the others: it alone comes back.
      // (A handler that returns acknowledges every message not retried explicitly.)
      console.error(JSON.stringify({ level: "error", msg: "webhook message failed", error: String(error) }));
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, base) });
    }
  });

  async function handle(message: Message<WebhookTask>): Promise<void> {
    const task = message.body;
    if (dead) {
      await env.DB.prepare(
        "INSERT INTO webhook_deliveries (job_id, webhook_id, event, attempt, url, outcome, status_code, error, duration_ms, created_at) SELECT id, ?, ?, 0, COALESCE(webhook_url, ''), 'dead_lettered', NULL, 'gave up after the last retry', 0, ? FROM jobs WHERE id = ?",
      )
        .bind(task.webhook_id, task.event, new Date().toISOString(), task.job_id)
        .run();
      message.ack();
      return;
    }
    const job = await env.DB.prepare(
      "SELECT status, started_at, (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = ? AND d.outcome = 'delivered') AS delivered FROM jobs WHERE id = ?",
    )
      .bind(task.webhook_id, task.job_id)
      .first<{ status: JobStatus; started_at: string | null; delivered: number }>();
    // Enqueued just before the job's transition: wait for it, drop it if it did not happen
    // (another outcome won), and never deliver the same webhook id twice.
    const decision = !job ? "drop" : job.delivered > 0 ? "drop" : transitionHappened(task.event, job);
    if (decision === "wait") {
      message.retry({ delaySeconds: 2 });
      return;
    }
    if (decision === "drop") {
      message.ack();
      return;
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

/**
 * Whether the transition an event announces has happened (`deliver`), may still happen
 * (`wait`), or never will (`drop`). `job.started` needs started_at; the endings, that status.
 */
function transitionHappened(
  event: WebhookEvent,
  job: { status: JobStatus; started_at: string | null },
): "deliver" | "wait" | "drop" {
  if (event === "job.started") {
    if (job.started_at !== null) return "deliver";
    return isFinal(job.status) ? "drop" : "wait";
  }
  if (!isFinal(job.status)) return "wait";
  return `job.${job.status}` === event ? "deliver" : "drop";
}

/** Run `work` on every item, at most `limit` at a time; resolves when all have settled. */
async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
