/**
 * Fetch an image a client named by URL (`image_url`), under the outbound URL policy that a
 * webhook's target passes too (net/url-policy.ts): every hop is checked before it is requested, redirects are
 * followed by hand (at most MAX_REDIRECTS), the whole fetch has a timeout, and the body is
 * read with the upload's byte cap (the declared Content-Length first, then while streaming).
 * What comes back is checked like an upload by the caller.
 */
import { InputError } from "../../models/runtime/errors.ts";
import { IMAGE_CONTENT_TYPES } from "../../models/runtime/image-info.ts";
import { ApiError } from "../errors/index.ts";
import { ResolverUnavailable } from "../net/resolver.ts";
import { checkImageUrl, UnsafeUrl, type UrlPolicy } from "../net/url-policy.ts";
import { readCapped } from "./read-body.ts";

export const IMAGE_FETCH_TIMEOUT_MS = 10_000;
export const MAX_REDIRECTS = 3;

const unreachable = (message: string) => new ApiError(422, "image_url_unreachable", message);

/**
 * What a set of fetches shares (a batch's image_urls): one signal that stops them all, and a
 * gate every request passes, the first one and each redirect. The URL policy is not the
 * gate's business: every hop is still checked by fetchImageUrl before it enters.
 */
export interface FetchGuard {
  /** Aborts every fetch of the set; its `reason` is what those fetches throw. */
  readonly signal: AbortSignal;
  /**
   * Wait for a turn to request `url` (`hop` 0 is the image_url itself, then each redirect); it
   * may throw to refuse the request. Call the result once that answer has been read or dropped.
   */
  enter(url: URL, hop: number): Promise<() => void>;
}

/**
 * The bytes at `raw`, at most `maxBytes`. Throws ApiError 400 `unsafe_image_url` (a target
 * the policy refuses, also behind a redirect), 422 `image_url_unreachable` (network error,
 * timeout, too many redirects, a non-2xx answer), 503 `dns_unavailable`, or InputError 413
 * `payload_too_large`; with a `guard` whose signal aborted, its reason. The timeout starts
 * when the first request may go (not while the guard holds it back).
 */
export async function fetchImageUrl(
  raw: string,
  policy: UrlPolicy,
  maxBytes: number,
  timeoutMs = IMAGE_FETCH_TIMEOUT_MS,
  guard?: FetchGuard,
): Promise<Uint8Array> {
  let signal: AbortSignal | undefined;
  /** The guard's reason when it stopped the set, else `error`. */
  const stopped = (error: unknown) => (guard?.signal.aborted ? guard.signal.reason : error);
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
    const leave = guard ? await guard.enter(new URL(target), hop) : () => {};
    try {
      if (!signal) {
        const timeout = AbortSignal.timeout(timeoutMs);
        signal = guard ? AbortSignal.any([timeout, guard.signal]) : timeout;
      }
      let response: Response;
      try {
        response = await fetch(target, {
          headers: { accept: IMAGE_CONTENT_TYPES.join(", "), "user-agent": "fcn-edge/1" },
          redirect: "manual",
          signal,
        });
      } catch (error) {
        throw stopped(
          unreachable(
            signal.aborted
              ? `image_url did not answer within ${timeoutMs / 1000} s`
              : `image_url could not be fetched: ${error instanceof Error ? error.message : String(error)}`,
          ),
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
        throw stopped(
          unreachable(
            signal.aborted
              ? `image_url did not send its body within ${timeoutMs / 1000} s`
              : "image_url's body could not be read to the end",
          ),
        );
      }
    } finally {
      leave();
    }
  }
  throw unreachable(`image_url redirected more than ${MAX_REDIRECTS} times`);
}

const tooLarge = (maxBytes: number) =>
  new InputError("payload_too_large", `the image at image_url is larger than the limit of ${maxBytes} bytes`);
