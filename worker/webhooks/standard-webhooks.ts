/**
 * Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 over "id.timestamp.body">`, with a per-key
 * secret `whsec_<base64>`. Receivers verify with any Standard Webhooks library; `verify`
 * here exists for our own tools and mirrors it (constant-time compare, typed error).
 */
import { timingSafeEqual } from "../../protocol/hmac.ts";

const PREFIX = "whsec_";
const TOLERANCE_SECONDS = 5 * 60;

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));

export function newWebhookSecret(): string {
  return PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(24)));
}

async function mac(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  if (!secret.startsWith(PREFIX)) throw new WebhookVerificationError("the secret must start with whsec_");
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64(secret.slice(PREFIX.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return toBase64(new Uint8Array(sig));
}

/** The three headers for one delivery of `body`. */
export async function signWebhook(
  secret: string,
  id: string,
  body: string,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = Math.floor(now / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": `v1,${await mac(secret, id, timestamp, body)}`,
  };
}

export async function verifyWebhook(
  secret: string,
  headers: Headers,
  body: string,
  now = Date.now(),
): Promise<void> {
  const id = headers.get("webhook-id");
  const timestamp = Number(headers.get("webhook-timestamp"));
  const signatures = headers.get("webhook-signature");
  if (!id || !Number.isFinite(timestamp) || !signatures)
    throw new WebhookVerificationError("missing headers");
  if (Math.abs(now / 1000 - timestamp) > TOLERANCE_SECONDS)
    throw new WebhookVerificationError("timestamp outside tolerance");
  const expected = await mac(secret, id, timestamp, body);
  const ok = signatures.split(" ").some((s) => s.startsWith("v1,") && timingSafeEqual(s.slice(3), expected));
  if (!ok) throw new WebhookVerificationError("no matching signature");
}
