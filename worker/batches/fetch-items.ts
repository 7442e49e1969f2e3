/**
 * A batch's image_urls fetched as one bounded unit (issue #29): one request must not hold the
 * Worker for minutes, nor make the Worker hammer someone else's server. So the batch has one
 * deadline for all its fetching; each distinct URL is fetched once (items naming it share the
 * bytes); redirects are counted for the batch as a whole (each URL still follows at most
 * MAX_REDIRECTS); the first item that fails dooms the batch, which aborts every fetch in
 * flight and starts no more; and only a few requests go to one host at a time. Every hop
 * still passes the outbound URL policy (net/url-policy.ts) in fetchImageUrl, unchanged.
 */
import { InputError } from "../../models/runtime/errors.ts";
import { JOB_LIMITS } from "../../models/runtime/limits.ts";
import { ApiError } from "../errors/index.ts";
import { type FetchGuard, fetchImageUrl } from "../images/fetch-url.ts";
import { checkJobImage } from "../jobs/input.ts";
import type { UrlPolicy } from "../net/url-policy.ts";
import { MAX_BATCH_BYTES } from "./limits.ts";
import type { BatchItem } from "./service.ts";

/** The bounds on one batch's fetching; the README lists them with the errors they give. */
export interface BatchFetchLimits {
  /** All of the batch's fetching, every item and redirect together (ms). */
  deadlineMs: number;
  /** Redirects followed for the whole batch. */
  maxRedirects: number;
  /** Requests in flight at once, in all. */
  concurrency: number;
  /** Requests in flight at once to one host (by name, as the URL gives it). */
  perHost: number;
}

export const BATCH_FETCH_LIMITS: BatchFetchLimits = {
  deadlineMs: 30_000,
  maxRedirects: 50,
  concurrency: 4,
  perHost: 2,
};

/**
 * Fetch and check every URL of a batch, in order, within the batch's byte budget and
 * `limits`. Throws the first item's error, naming its index (the rest were aborted).
 */
export async function fetchBatchItems(
  urls: string[],
  policy: UrlPolicy,
  limits: BatchFetchLimits = BATCH_FETCH_LIMITS,
): Promise<BatchItem[]> {
  const distinct = [...new Set(urls)];
  const fetched = new Map<string, BatchItem>();
  const doom = new AbortController();
  let failure: unknown;
  const fail = (error: unknown) => {
    if (doom.signal.aborted) return;
    failure = error;
    doom.abort(error);
  };
  const firstIndex = (url: string) => urls.indexOf(url);
  const deadline = setTimeout(() => {
    const late = distinct.find((u) => !fetched.has(u)) ?? distinct[0];
    fail(
      namedItemError(
        firstIndex(late),
        new ApiError(
          422,
          "image_url_unreachable",
          `the batch's images were not all fetched within ${limits.deadlineMs / 1000} s`,
        ),
      ),
    );
  }, limits.deadlineMs);
  const guard = new BatchGuard(limits, doom.signal);
  let total = 0;
  let next = 0;
  const lane = async () => {
    while (next < distinct.length && !doom.signal.aborted) {
      const url = distinct[next++];
      try {
        const bytes = await fetchImageUrl(url, policy, JOB_LIMITS.maxBytes, undefined, guard);
        total += bytes.byteLength;
        if (total > MAX_BATCH_BYTES)
          throw new InputError(
            "payload_too_large",
            `the images are larger than ${MAX_BATCH_BYTES} bytes together`,
          );
        fetched.set(url, { bytes, info: checkJobImage(bytes) });
      } catch (error) {
        // After the batch is doomed, the others' aborts are echoes of the first failure.
        if (!doom.signal.aborted) fail(namedItemError(firstIndex(url), error));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limits.concurrency, distinct.length) }, lane));
  } finally {
    clearTimeout(deadline);
  }
  if (doom.signal.aborted) throw failure;
  return urls.map((url) => fetched.get(url)!);
}

/** Re-throw an item's refusal with its index in the message, keeping its status and code. */
export function namedItemError(index: number, error: unknown): unknown {
  if (error instanceof InputError) return new InputError(error.code, `image ${index}: ${error.message}`);
  if (error instanceof ApiError)
    return new ApiError(
      error.status as 400,
      error.code,
      `image ${index}: ${error.message}`,
      error.res ? Object.fromEntries(error.res.headers) : undefined,
    );
  return error;
}

/** The batch's gate: counts redirects against the batch's budget and queues requests per host. */
class BatchGuard implements FetchGuard {
  #redirects = 0;
  #active = new Map<string, number>();
  #waiting = new Map<string, (() => void)[]>();

  readonly #limits: BatchFetchLimits;
  readonly signal: AbortSignal;

  constructor(limits: BatchFetchLimits, signal: AbortSignal) {
    this.#limits = limits;
    this.signal = signal;
    // Wake every waiter when the batch is doomed: each sees the abort and throws its reason.
    signal.addEventListener("abort", () => {
      for (const wake of [...this.#waiting.values()].flat()) wake();
      this.#waiting.clear();
    });
  }

  async enter(url: URL, hop: number): Promise<() => void> {
    if (hop > 0 && ++this.#redirects > this.#limits.maxRedirects)
      throw new ApiError(
        422,
        "image_url_unreachable",
        `the batch's image_urls redirected more than ${this.#limits.maxRedirects} times together`,
      );
    const host = url.hostname;
    while ((this.#active.get(host) ?? 0) >= this.#limits.perHost) {
      if (this.signal.aborted) throw this.signal.reason;
      await new Promise<void>((wake) => {
        const queue = this.#waiting.get(host) ?? [];
        queue.push(wake);
        this.#waiting.set(host, queue);
      });
    }
    if (this.signal.aborted) throw this.signal.reason;
    this.#active.set(host, (this.#active.get(host) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#active.set(host, (this.#active.get(host) ?? 1) - 1);
      this.#waiting.get(host)?.shift()?.();
    };
  }
}
