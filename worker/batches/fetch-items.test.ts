/**
 * A batch's image_urls fetched as one bounded unit (issue #29, findings 2 and 3). The images
 * come from the loopback image server of worker/test/global-setup.ts, which counts the
 * requests of each `tag`, so every test sees what one batch cost the server it names.
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { ApiError } from "../errors/index.ts";
import { urlPolicy } from "../net/url-policy.ts";
import { BATCH_FETCH_LIMITS, type BatchFetchLimits, fetchBatchItems } from "./fetch-items.ts";

const server = inject("imageServer");
const policy = urlPolicy(env);

/** What the image server saw of `tag`: requests in all and the most open at once. */
const hits = async (tag: string) =>
  (await (await fetch(`${server}/hits?tag=${tag}`)).json()) as { requests: number; maxInFlight: number };

/** The batch's refusal: its status, code and message (it must be an ApiError). */
async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => expect.unreachable("the batch was accepted"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  const { status, code, message } = error as ApiError;
  return { status, code, message };
}

const fetchWith = (urls: string[], limits: Partial<BatchFetchLimits> = {}) =>
  fetchBatchItems(urls, policy, { ...BATCH_FETCH_LIMITS, ...limits });

describe("fetchBatchItems", () => {
  it("fetches each distinct URL once: 30 items naming 3 URLs cost 3 requests", async () => {
    const urls = Array.from({ length: 30 }, (_, i) => `${server}/png64x48?tag=dup-${i % 3}`);
    const items = await fetchWith(urls);
    expect(items).toHaveLength(30);
    expect(items.every((item) => item.info.width === 64 && item.info.height === 48)).toBe(true);
    for (const tag of ["dup-0", "dup-1", "dup-2"]) expect((await hits(tag)).requests).toBe(1);
  });

  it("sends at most perHost requests to one host at a time", async () => {
    const urls = Array.from({ length: 6 }, (_, i) => `${server}/slow-png?ms=300&tag=host&i=${i}`);
    expect(await fetchWith(urls)).toHaveLength(6);
    expect(await hits("host")).toEqual({ requests: 6, maxInFlight: BATCH_FETCH_LIMITS.perHost });
  });

  it("stops at the first failure: the slow items in flight are aborted and no more start", async () => {
    const urls = [
      `${server}/status/500?tag=doom`,
      ...Array.from({ length: 19 }, (_, i) => `${server}/slow-png?ms=5000&tag=doom&i=${i}`),
    ];
    const started = Date.now();
    expect(await refusal(fetchWith(urls))).toEqual({
      status: 422,
      code: "image_url_unreachable",
      message: "image 0: image_url answered 500",
    });
    expect(Date.now() - started).toBeLessThan(2000); // not the slow items' 5 s
    expect((await hits("doom")).requests).toBeLessThanOrEqual(BATCH_FETCH_LIMITS.perHost);
  });

  it("counts redirects for the whole batch: 99 URLs of 3 redirects each stop at the budget", async () => {
    const chain = (i: number) => {
      let url = `${server}/png64x48?tag=hops&i=${i}`;
      for (let hop = 0; hop < 3; hop++) url = `${server}/redirect?tag=hops&to=${encodeURIComponent(url)}`;
      return url;
    };
    const urls = [...Array.from({ length: 99 }, (_, i) => chain(i)), `${server}/status/500?tag=hops`];
    expect(await refusal(fetchWith(urls))).toMatchObject({
      status: 422,
      code: "image_url_unreachable",
      message: expect.stringMatching(
        new RegExp(
          `^image \\d+: the batch's image_urls redirected more than ${BATCH_FETCH_LIMITS.maxRedirects} times together$`,
        ),
      ),
    });
    // before: 395 requests. Now the budget, plus the first requests of the URLs it covered.
    const { requests } = await hits("hops");
    expect(requests).toBeLessThanOrEqual(
      BATCH_FETCH_LIMITS.maxRedirects +
        Math.ceil(BATCH_FETCH_LIMITS.maxRedirects / 3) +
        BATCH_FETCH_LIMITS.concurrency,
    );
  });

  it("has one deadline for the whole batch, naming the first item not fetched", async () => {
    // 6 images of 1 s each, 2 at a time, take 3 s: the 1.5 s deadline cuts them off
    const urls = Array.from({ length: 6 }, (_, i) => `${server}/slow-png?ms=1000&tag=late&i=${i}`);
    const started = Date.now();
    expect(await refusal(fetchWith(urls, { deadlineMs: 1500 }))).toEqual({
      status: 422,
      code: "image_url_unreachable",
      message: "image 2: the batch's images were not all fetched within 1.5 s",
    });
    expect(Date.now() - started).toBeLessThan(2500);
    expect((await hits("late")).requests).toBe(4); // items 4 and 5 never went out
  });
});
