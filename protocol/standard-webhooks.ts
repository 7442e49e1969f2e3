/**
 * Standard Webhooks (https://www.standardwebhooks.com) through its reference library, for
 * every signed request: the webhooks the edge sends to clients (one `whsec_` secret per API
 * key) and the callbacks the GPU tier sends to the edge (CALLBACK_SECRET). `webhook-id`,
 * `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
 *
 * The library is plain JavaScript (its own SHA-256, no Web Crypto, no Node built-ins), so the
 * same code signs in Node and verifies in workerd. Its verification refuses a timestamp more
 * than 5 minutes old or ahead, compares in constant time and throws WebhookVerificationError.
 */
import { Webhook, WebhookVerificationError } from "standardwebhooks";

export { WebhookVerificationError };

const PREFIX = "whsec_";

/** A new secret in the library's form: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return PREFIX + btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))));
}

/**
 * Why `secret` cannot sign (undefined when it can): the library takes base64 key bytes, with
 * or without the `whsec_` prefix, and throws on anything else at first use.
 */
export function webhookSecretProblem(secret: string): string | undefined {
  try {
    new Webhook(secret);
    return undefined;
  } catch (error) {
    return `not a Standard Webhooks secret (whsec_ + base64): ${(error as Error).message}`;
  }
}

/** The three signature headers for one delivery of `body` as message `id`. */
export function signWebhook(secret: string, id: string, body: string, now = Date.now()) {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, new Date(now), body),
  };
}

/**
 * Throws WebhookVerificationError unless `headers` sign exactly `body` with `secret`, within
 * the library's replay tolerance (5 minutes either way of now).
 */
export function verifyWebhook(secret: string, headers: Headers | Record<string, string>, body: string): void {
  const plain = headers instanceof Headers ? Object.fromEntries(headers.entries()) : headers;
  new Webhook(secret).verify(body, plain, { jsonParse: false });
}

/** Whether a verification failure is about the timestamp (stale or ahead) rather than the signature. */
export function isStaleTimestamp(error: WebhookVerificationError): boolean {
  // The library has one error class; its timestamp messages are "Message timestamp too old/new".
  return /timestamp/i.test(error.message);
}
