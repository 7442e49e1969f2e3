/**
 * The callback_nonces table: ids of verified GPU-tier callbacks seen recently, so a replayed
 * callback is refused. Its own small repository: the callback route claims ids, the cron
 * sweep forgets those past the signature tolerance.
 */

/** Record a callback id as used at `at`; false when it was used before (a replay). */
export async function claimCallbackId(db: D1Database, id: string, at: string): Promise<boolean> {
  const r = await db
    .prepare("INSERT OR IGNORE INTO callback_nonces (id, received_at) VALUES (?, ?)")
    .bind(id, at)
    .run();
  return r.meta.changes > 0;
}

/** Forget callback ids received before `before` (a replay that old fails its timestamp check). */
export async function forgetCallbackIdsBefore(db: D1Database, before: string): Promise<void> {
  await db.prepare("DELETE FROM callback_nonces WHERE received_at < ?").bind(before).run();
}
