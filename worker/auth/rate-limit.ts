/**
 * Per-key rate limits as token buckets, backed by D1 (one statement per request). A key may
 * send `limit` requests at once and then one every 60/`limit` seconds: the bucket holds
 * `limit` tokens and refills continuously, so no moment of the clock (a fixed window's
 * boundary) lets a burst through twice. Over the limit: 429 with Retry-After until the next
 * token.
 *
 * The bucket is kept as GCRA does it: one timestamp per scope and key, the "theoretical
 * arrival time" (TAT) at which the bucket would be full again. A request at `now` is allowed
 * when TAT - now <= period - interval, and moves TAT to max(TAT, now) + interval. That test
 * and update are one conditional upsert, so concurrent requests from many isolates cannot
 * both take the last token (D1 runs writes one at a time).
 *
 * The rate_limit_buckets table's SQL lives here: its rows are counters, not facts about a
 * key, written on every request and dropped by the sweep once they are full again.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors/index.ts";
import type { AppEnv } from "../types.ts";

/** The period a limit is stated in: `limit` requests per minute. */
export const RATE_LIMIT_PERIOD_MS = 60_000;

export function rateLimit(scope: string, perMinute: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const limit = Number(c.env.RATE_LIMIT_PER_MINUTE ?? perMinute);
    const taken = await takeToken(c.env.DB, `${scope}:${c.get("apiKey").id}`, limit, Date.now());
    c.header("RateLimit-Limit", String(limit));
    c.header("RateLimit-Remaining", String(taken.remaining));
    if (!taken.allowed) {
      const retryAfter = String(taken.retryAfterS);
      throw new ApiError(
        429,
        "rate_limited",
        `more than ${limit} requests per minute; retry in ${retryAfter} s`,
        { "Retry-After": retryAfter },
      );
    }
    await next();
  };
}

/** What one request did to its bucket. */
export interface TokenTaken {
  allowed: boolean;
  /** Requests the bucket would allow right now, after this one. */
  remaining: number;
  /** When refused: seconds until the next token (at least 1). */
  retryAfterS: number;
}

/** Take a token from `bucket` (scope:key) of `limit` per minute at `nowMs`. */
export async function takeToken(
  db: D1Database,
  bucket: string,
  limit: number,
  nowMs: number,
): Promise<TokenTaken> {
  const interval = RATE_LIMIT_PERIOD_MS / limit;
  const tolerance = RATE_LIMIT_PERIOD_MS - interval;
  const taken = await db
    .prepare(
      "INSERT INTO rate_limit_buckets (bucket, tat_ms) VALUES (?1, ?2 + ?3) ON CONFLICT (bucket) DO UPDATE SET tat_ms = MAX(tat_ms, ?2) + ?3 WHERE MAX(tat_ms, ?2) - ?2 <= ?4 RETURNING tat_ms",
    )
    .bind(bucket, nowMs, interval, tolerance)
    .first<{ tat_ms: number }>();
  if (taken)
    return {
      allowed: true,
      remaining: Math.max(0, Math.floor((nowMs + RATE_LIMIT_PERIOD_MS - taken.tat_ms) / interval)),
      retryAfterS: 0,
    };
  const row = await db
    .prepare("SELECT tat_ms FROM rate_limit_buckets WHERE bucket = ?")
    .bind(bucket)
    .first<{ tat_ms: number }>();
  const waitMs = (row?.tat_ms ?? nowMs) - tolerance - nowMs;
  return { allowed: false, remaining: 0, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) };
}

/** Drop the buckets that are full again at `nowMs` (no row means a full bucket). */
export async function deleteFullRateLimitBuckets(db: D1Database, nowMs: number): Promise<void> {
  await db.prepare("DELETE FROM rate_limit_buckets WHERE tat_ms <= ?").bind(nowMs).run();
}
