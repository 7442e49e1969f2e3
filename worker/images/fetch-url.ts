/**
 * Fetch an image a client named by URL (`image_url`), under the same rules as a webhook's
 * target (webhooks/ssrf.ts): every hop is checked before it is requested, redirects are
 * followed by hand (at most MAX_REDIRECTS), the whole fetch has a timeout, and the body is
 * read with the upload's byte cap (the declared Content-Length first, then while streaming).
 * What comes back is checked like an upload by the caller.
 */
import { InputError } from "../../models/runtime/errors.ts";
import { IMAGE_CONTENT_TYPES } from "../../models/runtime/image-info.ts";
import { ApiError } from "../errors/index.ts";
import { checkImageUrl, ResolverUnavailable, UnsafeUrl, type UrlPolicy } from "../webhooks/ssrf.ts";
import { readCapped } from "./read-body.ts";

export const IMAGE_FETCH_TIMEOUT_MS = 10_000;
export const MAX_REDIRECTS = 3;

const unreachable = (message: string) => new ApiError(422, "image_url_unreachable", message);

/**
 * The bytes at `raw`, at most `maxBytes`. Throws ApiError 400 `unsafe_image_url` (a target
 * the policy refuses, also behind a redirect), 422 `image_url_unreachable` (network error,
 * timeout, too many redirects, a non-2xx answer), 503 `dns_unavailable`, or InputError 413
 * `payload_too_large`.
 */
export async function fetchImageUrl(
  raw: string,
  policy: UrlPolicy,
  maxBytes: number,
  timeoutMs = IMAGE_FETCH_TIMEOUT_MS,
): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(timeoutMs);
  let target = raw;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    try {
      await checkImageUrl(target, policy);
    } catch (error) {
      if (error instanceof UnsafeUrl)
        throw new ApiError(400, "unsafe_image_url", hop === 0 ? error.message : `redirect: ${error.message}`);
      if (error instanceof ResolverUnavailable)
        throw new ApiError(503, "dns_unavailable", `image_url could not be checked now: ${error.message}`, {
          "Retry-After": "30",
        });
      throw error;
    }
    let response: Response;
    try {
      response = await fetch(target, {
        headers: { accept: IMAGE_CONTENT_TYPES.join(", "), "user-agent": "fcn-edge/1" },
        redirect: "manual",
        signal,
      });
    } catch (error) {
      throw unreachable(
        signal.aborted
          ? `image_url did not answer within ${timeoutMs / 1000} s`
          : `image_url could not be fetched: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {});
      target = new URL(location, target).toString();
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw unreachable(`image_url answered ${response.status}`);
    }
    const declared = Number(response.headers.get("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    try {
      return await readCapped(response.body, maxBytes);
    } catch (error) {
      if (error instanceof InputError && error.code === "payload_too_large") throw tooLarge(maxBytes);
      // The server stopped sending, or the timeout cut the body short.
      throw unreachable(
        signal.aborted
          ? `image_url did not send its body within ${timeoutMs / 1000} s`
          : "image_url's body could not be read to the end",
      );
    }
  }
  throw unreachable(`image_url redirected more than ${MAX_REDIRECTS} times`);
}

const tooLarge = (maxBytes: number) =>
  new InputError("payload_too_large", `the image at image_url is larger than the limit of ${maxBytes} bytes`);
