/**
 * Per-key fixed-window rate limit backed by D1 (one upsert per request). Over the limit:
 * 429 with Retry-After until the window ends.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors/index.ts";
import type { AppEnv } from "../types.ts";

export function rateLimit(scope: string, perMinute: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const limit = Number(c.env.RATE_LIMIT_PER_MINUTE ?? perMinute);
    const now = Math.floor(Date.now() / 1000);
    const window = now - (now % 60);
    const row = await c.env.DB.prepare(
      "INSERT INTO rate_limits (api_key_id, window_start, count) VALUES (?, ?, 1) ON CONFLICT (api_key_id, window_start) DO UPDATE SET count = count + 1 RETURNING count",
    )
      .bind(`${scope}:${c.get("apiKey").id}`, window)
      .first<{ count: number }>();
    const count = row?.count ?? 1;
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
