/**
 * Retention of stored job data (R2): every input and output is deleted once its job is
 * final and `expires_at` has passed (the minute cron), or at once on DELETE /v1/jobs/:id.
 * The job row stays, with `purged_at` set, so its status and deliveries remain readable.
 */
import { JOB_OUTPUT_NAMES } from "../../protocol/jobs.ts";
import { findExpiredJobs, type JobRow, markFinalJobPurged, markJobsPurged } from "./repo.ts";
import { outputKey } from "./service.ts";

const storedKeys = (row: Pick<JobRow, "id" | "input_key">) => [
  row.input_key,
  ...JOB_OUTPUT_NAMES.map((name) => outputKey(row.id, name)),
];

/**
 * Delete a final job's input and outputs now (DELETE /v1/jobs/:id). Storage goes first: if
 * the row update is lost, the next attempt deletes nothing and records it again.
 */
export async function purgeJob(env: Env, row: JobRow, now = Date.now()): Promise<void> {
  await env.BUCKET.delete(storedKeys(row));
  await markFinalJobPurged(env.DB, row.id, new Date(now).toISOString());
}

/** The cron's part: delete the data of up to `limit` jobs whose `expires_at` has passed. */
export async function purgeExpired(env: Env, now = Date.now(), limit = 200): Promise<number> {
  const at = new Date(now).toISOString();
  const results = await findExpiredJobs(env.DB, at, limit);
  if (results.length === 0) return 0;
  // R2 deletes up to 1000 keys per call: 3 per job.
  await env.BUCKET.delete(results.flatMap(storedKeys));
  await markJobsPurged(
    env.DB,
    results.map((r) => r.id),
    at,
  );
  console.log(JSON.stringify({ level: "info", msg: "purged expired job data", jobs: results.length }));
  return results.length;
}
