/**
 * HMAC-SHA256 signing shared by the tiers (Web Crypto: runs in workerd and Node alike):
 * signed URLs and the GPU service's completion callback. Verification compares in
 * constant time.
 */

const encoder = new TextEncoder();

async function key(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

export async function hmacHex(secret: string, message: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key(secret), encoder.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Constant-time string comparison (length leaks, content does not). */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Signature of a callback body: HMAC over `${id}.${timestamp}.${body}`. */
export function callbackSignature(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  return hmacHex(secret, `${id}.${timestamp}.${body}`);
}

/** Headers the GPU service sends with a callback. */
export async function signCallback(
  secret: string,
  body: string,
  now = Date.now(),
): Promise<Record<string, string>> {
  const id = crypto.randomUUID();
  const timestamp = Math.floor(now / 1000);
  return {
    "content-type": "application/json",
    "x-fcn-callback-id": id,
    "x-fcn-timestamp": String(timestamp),
    "x-fcn-signature": `v1=${await callbackSignature(secret, id, timestamp, body)}`,
  };
}
