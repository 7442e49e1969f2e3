/**
 * Per-key rate limits are token buckets (issue #29, finding 6): the probe's 200 submissions
 * starting at second :58 saw 120 accepted within 3.3 s, a fixed window's end and the next
 * one's start. The bucket is driven here with explicit clock values against the real D1.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { deleteFullRateLimitBuckets, RATE_LIMIT_PERIOD_MS, takeToken } from "./rate-limit.ts";

/** Send `n` requests to `bucket`, `gapMs` apart from `startMs`; the allowed ones. */
async function burst(bucket: string, limit: number, n: number, startMs: number, gapMs: number) {
  let allowed = 0;
  for (let i = 0; i < n; i++)
    if ((await takeToken(env.DB, bucket, limit, startMs + i * gapMs)).allowed) allowed++;
  return allowed;
}

describe("takeToken", () => {
  it("lets no more than the limit (plus what refills meanwhile) through a minute boundary", async () => {
    const minute = Math.floor(Date.now() / RATE_LIMIT_PERIOD_MS) * RATE_LIMIT_PERIOD_MS;
    // 200 requests from second :58 over 3.3 s: a fixed window allowed 60 + 60
    const allowed = await burst("test:boundary", 60, 200, minute + 58_000, 16.5);
    expect(allowed).toBe(60 + 3); // the burst, and one more per second of the 3.3 s
  });

  it("refills evenly: after a burst, one request per 60/limit s, and Retry-After says when", async () => {
    const t = 1_000_000_000;
    expect(await burst("test:steady", 20, 20, t, 0)).toBe(20);
    const refused = await takeToken(env.DB, "test:steady", 20, t + 1000);
    expect(refused).toEqual({ allowed: false, remaining: 0, retryAfterS: 2 }); // the next token at t + 3 s
    expect((await takeToken(env.DB, "test:steady", 20, t + 3000)).allowed).toBe(true);
    expect((await takeToken(env.DB, "test:steady", 20, t + 3001)).allowed).toBe(false);
    // a full minute later the whole burst is back
    expect(await takeToken(env.DB, "test:steady", 20, t + 3000 + RATE_LIMIT_PERIOD_MS)).toEqual({
      allowed: true,
      remaining: 19,
      retryAfterS: 0,
    });
  });

  it("counts each bucket apart, and the sweep drops only buckets that are full again", async () => {
    const t = 2_000_000_000;
    expect(await burst("test:a", 5, 6, t, 0)).toBe(5);
    expect(await burst("test:b", 5, 1, t, 0)).toBe(1);
    await deleteFullRateLimitBuckets(env.DB, t + 12_001); // b is full again at t + 12 s, a is not
    const rows = await env.DB.prepare(
      "SELECT bucket FROM rate_limit_buckets WHERE bucket IN ('test:a', 'test:b')",
    ).all<{ bucket: string }>();
    expect(rows.results.map((r) => r.bucket)).toEqual(["test:a"]);
  });
});
