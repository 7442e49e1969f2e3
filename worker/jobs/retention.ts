/**
 * Retention of stored job data (R2): every input and output is deleted once its job is
 * final and `expires_at` has passed (the minute cron), or at once on DELETE /v1/jobs/:id.
 * The job row stays, with `purged_at` set, so its status and deliveries remain readable.
 */
import { JOB_OUTPUT_NAMES } from "../../protocol/jobs.ts";
import type { JobRow } from "./repo.ts";
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
  const at = new Date(now).toISOString();
  await env.DB.prepare(
    "UPDATE jobs SET purged_at = ?, expires_at = MIN(COALESCE(expires_at, ?), ?), updated_at = ? WHERE id = ? AND status IN ('succeeded', 'failed', 'canceled')",
  )
    .bind(at, at, at, at, row.id)
    .run();
}

/** The cron's part: delete the data of up to `limit` jobs whose `expires_at` has passed. */
export async function purgeExpired(env: Env, now = Date.now(), limit = 200): Promise<number> {
  const at = new Date(now).toISOString();
  const { results } = await env.DB.prepare(
    "SELECT id, input_key FROM jobs WHERE purged_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ? LIMIT ?",
  )
    .bind(at, limit)
    .all<Pick<JobRow, "id" | "input_key">>();
  if (results.length === 0) return 0;
  // R2 deletes up to 1000 keys per call: 3 per job.
  await env.BUCKET.delete(results.flatMap(storedKeys));
  await env.DB.batch(
    results.map((r) => env.DB.prepare("UPDATE jobs SET purged_at = ? WHERE id = ?").bind(at, r.id)),
  );
  console.log(JSON.stringify({ level: "info", msg: "purged expired job data", jobs: results.length }));
  return results.length;
}
