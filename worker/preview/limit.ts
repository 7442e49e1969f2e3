/**
 * Rate limits of POST /v1/preview (issue #29): a preview costs the Worker real CPU, and it
 * needs no key, so anonymous clients are limited per address (CF-Connecting-IP, which
 * Cloudflare sets and a client cannot forge) and a request with a valid API key gets a higher
 * limit per key. Both are Workers rate-limiting bindings (`[[ratelimits]]` in wrangler.toml):
 * counted at the edge, per Cloudflare location and approximately, with no storage of ours.
 * wrangler dev and the vitest pool enforce them too (miniflare's local binding).
 */
import type { MiddlewareHandler } from "hono";
import { findActiveKey } from "../auth/keys.ts";
import { bearer, keyChallenge } from "../auth/middleware.ts";
import { isDevelopment } from "../config.ts";
import { ApiError } from "../errors/index.ts";
import type { AppEnv } from "../types.ts";

/**
 * The one method of the Workers rate-limiting binding used here: the binding (`RateLimit`)
 * satisfies it, and so may a test's stand-in.
 */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** The limits, as wrangler.toml configures the bindings (the binding cannot report them). */
export const PREVIEW_RATE_LIMITS = {
  anonymous: { limit: 20, periodS: 60 },
  apiKey: { limit: 120, periodS: 60 },
} as const;

/**
 * Count the preview against its client's limit: 429 `rate_limited` with Retry-After (the
 * binding's period: it does not say when its window ends) once over. A request with an
 * `Authorization` header must carry a valid key (401 otherwise) and is counted per key.
 * A development Worker with `PREVIEW_RATE_LIMIT=off` (the load and corpus harnesses) skips it.
 */
export const previewRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (isDevelopment(c.env) && c.env.PREVIEW_RATE_LIMIT === "off") return next();
  const header = c.req.header("authorization");
  let limiter: RateLimiter = c.env.PREVIEW_LIMITER;
  let rule: { limit: number; periodS: number } = PREVIEW_RATE_LIMITS.anonymous;
  let key = `ip:${c.req.header("cf-connecting-ip") ?? "unknown"}`;
  let who = "this address (send an API key for more)";
  if (header !== undefined) {
    const token = bearer(header);
    const apiKey = token ? await findActiveKey(c.env.DB, token) : null;
    if (!apiKey)
      throw new ApiError(
        401,
        "unauthorized",
        "the API key is unknown or revoked (or send none)",
        keyChallenge,
      );
    limiter = c.env.PREVIEW_KEY_LIMITER;
    rule = PREVIEW_RATE_LIMITS.apiKey;
    key = `key:${apiKey.id}`;
    who = "this API key";
  }
  const { success } = await limiter.limit({ key });
  if (!success)
    throw new ApiError(
      429,
      "rate_limited",
      `more than ${rule.limit} previews per ${rule.periodS} s from ${who}; retry in ${rule.periodS} s`,
      { "Retry-After": String(rule.periodS) },
    );
  await next();
};
