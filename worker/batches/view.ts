/** The batch as clients see it (GET /v1/batches/{id} and batch.completed's `data`). */

import type { BatchWebhookEvent } from "../../protocol/webhook-events.ts";
import type { JobRow } from "../jobs/repo.ts";
import { publicJob } from "../jobs/service.ts";
import { isFinal, type JobStatus } from "../jobs/state.ts";
import type { BatchRow } from "./repo.ts";

const STATUSES: JobStatus[] = ["queued", "running", "succeeded", "failed", "canceled"];

export async function publicBatch(env: Env, batch: BatchRow, jobs: JobRow[]) {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const job of jobs) counts[job.status]++;
  const ended = jobs.filter((j) => isFinal(j.status)).length;
  const done = ended === batch.size || batch.completed_at !== null;
  return {
    id: batch.id,
    object: "batch" as const,
    // An item not yet accepted (an interrupted submission, completed by its replay) counts as
    // running, until the replay window has passed and the batch completed with what it has.
    status: done ? ("completed" as const) : ("running" as const),
    size: batch.size,
    counts,
    items: await Promise.all(
      jobs.map(async (job) => ({
        index: job.batch_index ?? 0,
        job_id: job.id,
        status: job.status,
        result: (await publicJob(env, job)).result,
        expires_at: job.expires_at,
      })),
    ),
    webhook: batch.webhook_url
      ? { url: batch.webhook_url, events: JSON.parse(batch.webhook_events) as BatchWebhookEvent[] }
      : null,
    created_at: batch.created_at,
    completed_at: batch.completed_at,
    // Every webhook payload says how long its links' data lives: for a batch, its last item's.
    expires_at: done ? latest(jobs.map((j) => j.expires_at)) : null,
  };
}

/** The latest of ISO timestamps (they sort as strings), or null when there is none. */
const latest = (times: (string | null)[]) =>
  times.reduce<string | null>((a, t) => (t !== null && (a === null || t > a) ? t : a), null);

export type BatchView = Awaited<ReturnType<typeof publicBatch>>;
