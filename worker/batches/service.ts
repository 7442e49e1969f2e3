/**
 * Batch acceptance: one batch row, then one ordinary job per item (jobs/service.ts acceptJob,
 * with the batch's id and the item's index), so the GPU tier sees nothing new. Every item
 * was checked before this is called; nothing is stored for a batch that is refused.
 */
import type { ImageInfo } from "../../models/runtime/image-info.ts";
import { randomId } from "../auth/keys.ts";
import { publicOrigin } from "../config.ts";
import type { BatchOptions } from "../jobs/options.ts";
import { acceptJob } from "../jobs/service.ts";
import { completeBatchIfEnded } from "./completion.ts";
import { type BatchRow, batchJobs, insertBatch } from "./repo.ts";

/** One checked image of a batch. */
export interface BatchItem {
  bytes: Uint8Array;
  info: ImageInfo;
}

export interface NewBatch {
  apiKeyId: string;
  items: BatchItem[];
  options: BatchOptions;
  idempotencyKey: string | null;
  requestHash: string;
}

/** Store the batch row, then accept every item as a job. */
export async function acceptBatch(env: Env, batch: NewBatch): Promise<BatchRow> {
  publicOrigin(env); // before any write: a misconfigured Worker stores nothing
  const row: BatchRow = {
    id: randomId("batch"),
    api_key_id: batch.apiKeyId,
    size: batch.items.length,
    webhook_url: batch.options.webhookUrl,
    webhook_events: JSON.stringify(batch.options.webhookEvents),
    idempotency_key: batch.idempotencyKey,
    request_hash: batch.requestHash,
    created_at: new Date().toISOString(),
    completed_at: null,
  };
  await insertBatch(env.DB, row);
  await acceptMissingItems(env, row, batch);
  return row;
}

/**
 * Accept the items that have no job yet: all of them for a new batch; for a replay of a
 * batch whose acceptance was cut short, the rest (the replay brings the same images). The
 * unique (batch_id, batch_index) index keeps a concurrent replay from adding a second job.
 */
export async function acceptMissingItems(env: Env, row: BatchRow, batch: NewBatch): Promise<void> {
  const present = new Set((await batchJobs(env.DB, row.id)).map((j) => j.batch_index));
  for (const [index, item] of batch.items.entries()) {
    if (present.has(index)) continue;
    try {
      await acceptJob(env, {
        apiKeyId: batch.apiKeyId,
        bytes: item.bytes,
        contentType: item.info.type,
        width: item.info.width,
        height: item.info.height,
        ...batch.options.job,
        idempotencyKey: null,
        requestHash: `${batch.requestHash}:${index}`,
        batch: { id: row.id, index },
      });
    } catch (error) {
      const now = new Set((await batchJobs(env.DB, row.id)).map((j) => j.batch_index));
      if (!now.has(index)) throw error; // otherwise a concurrent replay accepted it
    }
  }
  // Items that ended while later ones were being accepted could not complete the batch.
  await completeBatchIfEnded(env, row.id);
}
