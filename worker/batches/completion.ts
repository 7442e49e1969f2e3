/**
 * The end of a batch: whoever ends one of its jobs (the GPU tier's callback, a cancel, the
 * cron sweep) asks here whether that was the last; the one conditional UPDATE that marks the
 * batch completed is the only path that enqueues its batch.completed, so it is sent once.
 */
import { enqueueBatchWebhook } from "../webhooks/enqueue.ts";
import { BATCH_REPLAY_WINDOW_MS } from "./limits.ts";
import { endedOpenBatchIds, getBatch, markBatchCompleted, unmarkBatchCompleted } from "./repo.ts";

/** Batches created before this were given their replay window: they end with what they have. */
const abandonedBefore = () => new Date(Date.now() - BATCH_REPLAY_WINDOW_MS).toISOString();

/**
 * Complete the batch if all its items have ended, and queue its webhook. Never throws: a
 * failure leaves the batch open, and the sweep (completeEndedBatches) finds it again.
 */
export async function completeBatchIfEnded(env: Env, batchId: string): Promise<boolean> {
  const at = new Date().toISOString();
  try {
    if (!(await markBatchCompleted(env.DB, batchId, at, abandonedBefore()))) return false;
  } catch (error) {
    logFailure(batchId, error);
    return false;
  }
  try {
    const batch = await getBatch(env.DB, batchId);
    if (batch) await enqueueBatchWebhook(env, batch);
    return true;
  } catch (error) {
    logFailure(batchId, error);
    await unmarkBatchCompleted(env.DB, batchId, at).catch(() => {});
    return false;
  }
}

/** The sweep's part: complete batches whose last job ended without completing them. */
export async function completeEndedBatches(env: Env): Promise<number> {
  let completed = 0;
  for (const id of await endedOpenBatchIds(env.DB, abandonedBefore()))
    if (await completeBatchIfEnded(env, id)) completed++;
  return completed;
}

function logFailure(batchId: string, error: unknown) {
  console.error(
    JSON.stringify({
      level: "warn",
      msg: "batch completion failed; the sweep will retry",
      batch_id: batchId,
      error: String(error),
    }),
  );
}
