/**
 * The Worker's deployment settings that decide how it behaves, read in one place.
 *
 * Production is the default: wrangler.toml says `ENVIRONMENT = "production"`, and only
 * `npm start` and the test harnesses ask for development explicitly (`--var` or bindings).
 */
import { webhookSecretProblem } from "../protocol/standard-webhooks.ts";
import { ApiError } from "./errors/index.ts";

/** True only when development was asked for explicitly (`npm start`, the tests). */
export const isDevelopment = (env: Env): boolean => env.ENVIRONMENT === "development";

/** Where `npm start` serves the Worker by default (scripts/start.ts passes its real port). */
export const DEV_PUBLIC_BASE_URL = "http://127.0.0.1:8787";

/**
 * The edge's public origin: signed URLs for the GPU tier, its callback and result links all
 * point here. It comes from PUBLIC_BASE_URL, never from a request header: a client's `Host`
 * must not decide where the GPU tier connects. Required (https) in production; development
 * falls back to the local dev origin. Throws 503 `misconfigured` when it is missing or bad.
 */
export function publicOrigin(env: Env): string {
  const configured = env.PUBLIC_BASE_URL?.trim();
  if (!configured) {
    if (isDevelopment(env)) return DEV_PUBLIC_BASE_URL;
    throw misconfigured("PUBLIC_BASE_URL is not set");
  }
  let url: URL;
  try {
    url = new URL(configured);
  } catch {
    throw misconfigured("PUBLIC_BASE_URL is not a URL");
  }
  // Signed URLs sign the path alone, so a base with a path (or query) would never verify.
  if (url.origin !== configured.replace(/\/$/, "")) throw misconfigured("PUBLIC_BASE_URL must be an origin");
  if (url.protocol !== "https:" && !isDevelopment(env))
    throw misconfigured("PUBLIC_BASE_URL must be https in production");
  return url.origin;
}

/**
 * The key the GPU tier's callbacks are verified with: a Standard Webhooks secret (`whsec_` +
 * base64). Throws 503 `misconfigured` when it is not one, rather than a 500 on every callback.
 */
export function callbackSecret(env: Env): string {
  const problem = webhookSecretProblem(env.CALLBACK_SECRET ?? "");
  if (problem) throw misconfigured(`CALLBACK_SECRET is ${problem}`);
  return env.CALLBACK_SECRET;
}

function misconfigured(detail: string): ApiError {
  console.error(JSON.stringify({ level: "error", msg: "misconfigured", detail }));
  return new ApiError(503, "misconfigured", `the service is not configured for jobs: ${detail}`);
}
