/**
 * The webhook queue consumer. Failed deliveries are retried with exponential backoff; after
 * the queue's max_retries the message lands in the dead-letter queue, whose consumer records
 * the final outcome so GET /v1/jobs/:id/deliveries shows it. A redelivery the client asked
 * for (POST .../redeliver) comes through the same queue and is retried the same way.
 */

import { batchWebhookDelivered, getBatch, recordBatchDelivery } from "../batches/repo.ts";
import { getJob } from "../jobs/repo.ts";
import { isFinal, type JobStatus } from "../jobs/state.ts";
import {
  DEFAULT_RETRY_BASE_SECONDS,
  deliverBatchWebhook,
  deliverWebhook,
  MAX_ATTEMPT_MS,
  retryDelaySeconds,
} from "./deliver.ts";
import { claimWebhook, recordDeadLettered, releaseWebhook, wasDelivered } from "./deliveries.ts";
import { type BatchWebhookTask, isBatchTask, type QueuedWebhook, type WebhookEvent } from "./enqueue.ts";

/**
 * Deliveries of one batch in flight together. A receiver that never answers holds its slot for
 * the 10 s timeout, not the whole batch; Workers open at most 6 connections at once per
 * invocation (more would only wait inside the runtime), so 6 is also the useful bound.
 */
export const DELIVERY_CONCURRENCY = 6;

/** How long a send holds its webhook's claim: past the longest attempt, with room to record it. */
const CLAIM_MS = Math.ceil((MAX_ATTEMPT_MS + 5_000) / 1000) * 1000;

export async function handleWebhookBatch(batch: MessageBatch<QueuedWebhook>, env: Env): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  const base = Number(env.WEBHOOK_RETRY_BASE_SECONDS ?? DEFAULT_RETRY_BASE_SECONDS);
  // The same webhook may be enqueued twice (two callbacks that both see a job's deadline
  // passed each enqueue job.canceled before their transition), and wasDelivered cannot stop
  // two copies handled at once. Within a batch the first copy alone goes on (delivered,
  // retried or dropped); the others are acknowledged. Across invocations the send's claim in
  // D1 (claimWebhook, below) keeps them apart. Redeliveries are asked for: never merged.
  const seen = new Set<string>();
  const firsts = batch.messages.filter((message) => {
    const task = message.body;
    if (dead || isBatchTask(task) || task.attempts_before !== undefined) return true;
    if (seen.has(task.webhook_id)) {
      message.ack();
      return false;
    }
    seen.add(task.webhook_id);
    return true;
  });
  await forEachBounded(firsts, DELIVERY_CONCURRENCY, async (message) => {
    try {
      await handle(message);
    } catch (error) {
      // One message's failure (a D1 hiccup) must not fail the others: it alone comes back.
      // (A handler that returns acknowledges every message not retried explicitly.)
      console.error(JSON.stringify({ level: "error", msg: "webhook message failed", error: String(error) }));
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, base) });
    }
  });

  async function handle(message: Message<QueuedWebhook>): Promise<void> {
    const task = message.body;
    if (isBatchTask(task)) return handleBatchTask(message, task);
    if (dead) {
      await recordDeadLettered(env.DB, task, new Date().toISOString());
      message.ack();
      return;
    }
    const job = await getJob(env.DB, task.job_id);
    // Enqueued just before the job's transition: wait for it, drop it if it did not happen
    // (another outcome won), and never deliver the same webhook id twice, unless the client
    // asked for it again (a redelivery goes out even after a delivered attempt).
    const redelivery = task.attempts_before !== undefined;
    const decision = !job
      ? "drop"
      : !redelivery && (await wasDelivered(env.DB, task.webhook_id))
        ? "drop"
        : transitionHappened(task.event, job);
    if (decision === "wait") {
      message.retry({ delaySeconds: 2 });
      return;
    }
    if (decision === "drop") {
      message.ack();
      return;
    }
    // Copies of one webhook in two invocations at once: only the claim's holder sends; the
    // other comes back after the claim's time, and is dropped then if the send was delivered.
    const now = Date.now();
    const until = new Date(now + CLAIM_MS).toISOString();
    if (!(await claimWebhook(env.DB, task.webhook_id, new Date(now).toISOString(), until))) {
      message.retry({ delaySeconds: CLAIM_MS / 1000 });
      return;
    }
    const attempt = (task.attempts_before ?? 0) + message.attempts;
    let result: Awaited<ReturnType<typeof deliverWebhook>>;
    try {
      result = await deliverWebhook(env, task, attempt);
    } finally {
      await releaseWebhook(env.DB, task.webhook_id);
    }
    console.log(
      JSON.stringify({
        level: "info",
        msg: "webhook",
        job_id: task.job_id,
        event: task.event,
        attempt,
        ...result,
      }),
    );
    if (result.outcome === "failed")
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, base) });
    else message.ack(); // delivered, or refused by policy (retrying cannot help)
  }

  /** batch.completed: enqueued only once the batch is marked completed; delivered once. */
  async function handleBatchTask(message: Message<QueuedWebhook>, task: BatchWebhookTask): Promise<void> {
    const batch = await getBatch(env.DB, task.batch_id);
    if (dead) {
      if (batch)
        await recordBatchDelivery(env.DB, {
          batch_id: batch.id,
          webhook_id: task.webhook_id,
          event: task.event,
          attempt: 0,
          url: batch.webhook_url ?? "",
          outcome: "dead_lettered",
          status_code: null,
          error: "gave up after the last retry",
          duration_ms: 0,
          created_at: new Date().toISOString(),
        });
      message.ack();
      return;
    }
    if (!batch?.completed_at || (await batchWebhookDelivered(env.DB, task.webhook_id))) {
      message.ack();
      return;
    }
    const result = await deliverBatchWebhook(env, task, message.attempts);
    console.log(
      JSON.stringify({
        level: "info",
        msg: "webhook",
        batch_id: task.batch_id,
        event: task.event,
        attempt: message.attempts,
        ...result,
      }),
    );
    if (result.outcome === "failed")
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, base) });
    else message.ack();
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
