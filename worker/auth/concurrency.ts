/**
 * Per-key caps on requests that stay open (issue #29): event streams and `Prefer: wait`.
 * A request takes a slot for its life and gives it back when it ends; over the cap, 429.
 *
 * The slots are rows in D1, not counters in memory: one key's requests land on many isolates
 * and locations, and only a store they all share can count them. D1 is that store here (a
 * Durable Object per key would be too, at the cost of a new binding and class): every write
 * goes to the one primary database, which runs them one at a time, so the conditional INSERT
 * below (count the live slots, insert only under the cap) is atomic; two requests racing for
 * the last slot cannot both win. A slot carries an expiry, so one whose isolate died before
 * giving it back stops counting after its request's longest possible life; expired rows of a
 * bucket are deleted whenever that bucket takes a slot, so the table stays small.
 */
import { ApiError } from "../errors/index.ts";
import { randomId } from "./keys.ts";

/** A slot held by an open request; release it (once) when the request ends. */
export interface Slot {
  release(): Promise<void>;
}

/** Seconds a refused client is told to wait: slots free when the key's open requests end. */
export const SLOT_RETRY_AFTER_S = 5;

/**
 * Take one of `max` slots of `bucket` (`scope:api_key_id`) for at most `ttlMs`, or throw 429
 * `rate_limited` naming `what` ("open event streams") with Retry-After.
 */
export async function takeSlot(
  db: D1Database,
  bucket: string,
  max: number,
  ttlMs: number,
  what: string,
): Promise<Slot> {
  const id = randomId("slot");
  const now = Date.now();
  const [, inserted] = await db.batch([
    db.prepare("DELETE FROM key_slots WHERE bucket = ? AND expires_at <= ?").bind(bucket, now),
    db
      .prepare(
        "INSERT INTO key_slots (id, bucket, expires_at) SELECT ?1, ?2, ?3 WHERE (SELECT COUNT(*) FROM key_slots WHERE bucket = ?2 AND expires_at > ?4) < ?5",
      )
      .bind(id, bucket, now + ttlMs, now, max),
  ]);
  if (inserted.meta.changes !== 1)
    throw new ApiError(
      429,
      "rate_limited",
      `more than ${max} ${what} for this API key; end one, or retry in ${SLOT_RETRY_AFTER_S} s`,
      { "Retry-After": String(SLOT_RETRY_AFTER_S) },
    );
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await db.prepare("DELETE FROM key_slots WHERE id = ?").bind(id).run();
    },
  };
}
