/**
 * Per-key fixed-window rate limit backed by D1 (one upsert per request). Over the limit:
 * 429 with Retry-After until the window ends.
 *
 * The rate_limits table's SQL lives here, not in the keys repository (keys.ts): its rows are
 * counters per scope and minute, not facts about a key, written on every request and dropped
 * by the sweep after an hour. The limit and its counters are one concept, so one module.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors/index.ts";
import type { AppEnv } from "../types.ts";

export function rateLimit(scope: string, perMinute: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const limit = Number(c.env.RATE_LIMIT_PER_MINUTE ?? perMinute);
    const now = Math.floor(Date.now() / 1000);
    const window = now - (now % 60);
    const count = await countRequest(c.env.DB, `${scope}:${c.get("apiKey").id}`, window);
    c.header("RateLimit-Limit", String(limit));
    c.header("RateLimit-Remaining", String(Math.max(0, limit - count)));
    if (count > limit) {
      const retryAfter = String(window + 60 - now);
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

/** Count one request of `bucket` (scope:key) in the window starting at `windowStart` (s); the new count. */
async function countRequest(db: D1Database, bucket: string, windowStart: number): Promise<number> {
  const row = await db
    .prepare(
      "INSERT INTO rate_limits (api_key_id, window_start, count) VALUES (?, ?, 1) ON CONFLICT (api_key_id, window_start) DO UPDATE SET count = count + 1 RETURNING count",
    )
    .bind(bucket, windowStart)
    .first<{ count: number }>();
  return row?.count ?? 1;
}

/** Drop the counters of windows that started before `before` (s): only the current one is read. */
export async function deleteRateLimitWindowsBefore(db: D1Database, before: number): Promise<void> {
  await db.prepare("DELETE FROM rate_limits WHERE window_start < ?").bind(before).run();
}
