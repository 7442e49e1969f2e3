/**
 * Short-lived URLs bound to one job and one action: the GPU service reads the input and
 * writes outputs with them, clients fetch results with them. No credentials travel.
 * sig = HMAC-SHA256(URL_SIGNING_SECRET, "METHOD path exp").
 */
import type { MiddlewareHandler } from "hono";
import { hmacHex, timingSafeEqual } from "../auth/hmac.ts";
import { ApiError } from "../errors/index.ts";
import type { AppEnv } from "../types.ts";

export async function signUrl(
  secret: string,
  base: string,
  method: string,
  path: string,
  ttlSeconds: number,
  now = Date.now(),
) {
  const exp = Math.floor(now / 1000) + ttlSeconds;
  const sig = await hmacHex(secret, `${method} ${path} ${exp}`);
  return { url: `${base}${path}?exp=${exp}&sig=${sig}`, expiresAt: new Date(exp * 1000).toISOString() };
}

/** Throws 403 unless `exp`/`sig` sign exactly this method and path and have not expired. */
export async function verifySignedUrl(
  secret: string,
  method: string,
  url: URL,
  now = Date.now(),
): Promise<void> {
  const exp = Number(url.searchParams.get("exp"));
  const sig = url.searchParams.get("sig") ?? "";
  if (!Number.isInteger(exp) || !sig) throw new ApiError(403, "invalid_signature", "the URL is not signed");
  if (exp * 1000 < now) throw new ApiError(403, "url_expired", "the signed URL has expired");
  const expected = await hmacHex(secret, `${method} ${url.pathname} ${exp}`);
  if (!timingSafeEqual(sig, expected))
    throw new ApiError(403, "invalid_signature", "the URL signature does not match");
}

/**
 * A route's middleware: the URL must be signed for `method` (the GPU tier's output URLs are
 * signed for PUT and serve every request of an upload). It runs before the route's validators,
 * so an unsigned request is a 403 whatever else is wrong with it.
 */
export const requireSignedUrl =
  (method: "GET" | "PUT"): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    await verifySignedUrl(c.env.URL_SIGNING_SECRET, method, new URL(c.req.url));
    await next();
  };
