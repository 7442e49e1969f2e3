/**
 * A job's input before it is stored: the image checks every upload and fetched `image_url`
 * passes (type sniffing, pixel count before decoding, truncation), and the small JSON body
 * that names an image by URL.
 */
import { checkComplete } from "../../models/runtime/completeness.ts";
import { InputError } from "../../models/runtime/errors.ts";
import {
  checkLimits,
  IMAGE_TYPE_NAMES,
  type ImageInfo,
  readImageInfo,
} from "../../models/runtime/image-info.ts";
import { JOB_LIMITS } from "../../models/runtime/limits.ts";
import { ApiError } from "../errors/index.ts";
import { readCapped } from "../images/read-body.ts";
import { ResolverUnavailable } from "../net/resolver.ts";
import { checkWebhookUrl, UnsafeWebhookUrl, urlPolicy } from "../net/url-policy.ts";

/** A JSON request body is options and URLs, never image bytes: a small cap is plenty. */
export const MAX_JSON_BODY_BYTES = 256 * 1024;

/** The image's type and size, or an InputError: refused now rather than failed after the queue. */
export function checkJobImage(bytes: Uint8Array): ImageInfo {
  const info = readImageInfo(bytes);
  checkLimits(info, JOB_LIMITS);
  checkComplete(bytes, info);
  return info;
}

/** Read a JSON object body, capped; invalid_request when it is not one. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > MAX_JSON_BODY_BYTES)
    throw new InputError("payload_too_large", `a JSON body may have at most ${MAX_JSON_BODY_BYTES} bytes`);
  const raw = await readCapped(request.body, MAX_JSON_BODY_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new InputError("invalid_request", "the body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new InputError("invalid_request", "the JSON body must be an object");
  return body as Record<string, unknown>;
}

/** `image_url` of a JSON body: a non-empty string, checked for safety when it is fetched. */
export function imageUrlOf(value: unknown, field = "image_url"): string {
  if (typeof value !== "string" || !value.trim())
    throw new InputError("invalid_request", `${field} is required: the URL of a ${IMAGE_TYPE_NAMES} image`);
  if (value.length > 2048)
    throw new InputError("invalid_request", `${field} is too long (at most 2048 characters)`);
  return value.trim();
}

/** A webhook_url option, checked at submission: 400 invalid_webhook_url, 503 when DNS cannot tell. */
export async function requireSafeWebhookUrl(env: Env, webhookUrl: string | null): Promise<void> {
  if (!webhookUrl) return;
  try {
    await checkWebhookUrl(webhookUrl, urlPolicy(env));
  } catch (error) {
    if (error instanceof UnsafeWebhookUrl) throw new ApiError(400, "invalid_webhook_url", error.message);
    if (error instanceof ResolverUnavailable)
      throw new ApiError(503, "dns_unavailable", `webhook_url could not be checked now: ${error.message}`, {
        "Retry-After": "30",
      });
    throw error;
  }
}
