/**
 * Short-lived URLs bound to one job and one action: the GPU service reads the input and
 * writes outputs with them, clients fetch results with them. No credentials travel.
 * sig = HMAC-SHA256(URL_SIGNING_SECRET, "METHOD path exp").
 */
import { hmacHex, timingSafeEqual } from "../auth/hmac.ts";
import { ApiError } from "../errors/index.ts";

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
