/**
 * Rate limits of POST /v1/preview (issue #29, finding 4), with the real local rate-limiting
 * bindings of wrangler.toml: miniflare enforces them (a fixed window per period, as
 * Cloudflare's per location). The other test files run with PREVIEW_RATE_LIMIT=off; these
 * calls turn it back on. Each test is its own client address, so the counts do not mix.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import worker from "../index.ts";
import { BASE, fromBase64, newKey } from "../test/helpers.ts";
import { PREVIEW_RATE_LIMITS } from "./limit.ts";

const image = fromBase64(inject("images").png1x1);
const limited: Env = { ...env, PREVIEW_RATE_LIMIT: undefined };

const preview = (address: string, headers: Record<string, string> = {}, bindings: Env = limited) =>
  worker.fetch(
    new Request(`${BASE}/v1/preview`, {
      method: "POST",
      body: image,
      headers: { "content-type": "image/png", "cf-connecting-ip": address, ...headers },
    }),
    bindings,
    createExecutionContext(),
  );

/** Send `n` previews one after another; the statuses. */
async function statuses(n: number, address: string, headers: Record<string, string> = {}) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await preview(address, headers);
    await r.body?.cancel();
    out.push(r.status);
  }
  return out;
}

/** The local binding counts in windows aligned to the clock: start a test well inside one. */
async function awayFromWindowEdge(periodS: number, marginS: number) {
  const into = (Date.now() / 1000) % periodS;
  if (into > periodS - marginS) await new Promise((r) => setTimeout(r, (periodS - into + 0.5) * 1000));
}

let key: string;
beforeAll(async () => {
  key = (await newKey("preview-limit")).key;
});

describe("POST /v1/preview rate limits", () => {
  it("answers 429 rate_limited with Retry-After to an anonymous client over its limit, not to another", async () => {
    const { limit, periodS } = PREVIEW_RATE_LIMITS.anonymous;
    await awayFromWindowEdge(periodS, 15);
    expect(await statuses(limit, "203.0.113.1")).toEqual(Array(limit).fill(200));
    const over = await preview("203.0.113.1");
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe(String(periodS));
    expect(await over.json()).toEqual({
      error: {
        code: "rate_limited",
        message: `more than ${limit} previews per ${periodS} s from this address (send an API key for more); retry in ${periodS} s`,
      },
    });
    expect(await statuses(1, "203.0.113.2")).toEqual([200]); // another address has its own count
  });

  it("gives a request with an API key the key's higher limit, counted per key", async () => {
    const { limit, periodS } = PREVIEW_RATE_LIMITS.apiKey;
    expect(limit).toBeGreaterThan(PREVIEW_RATE_LIMITS.anonymous.limit);
    await awayFromWindowEdge(periodS, 25);
    const auth = { authorization: `Bearer ${key}` };
    // the address's anonymous allowance is spent; the key's is not
    await statuses(PREVIEW_RATE_LIMITS.anonymous.limit, "203.0.113.3");
    expect((await preview("203.0.113.3")).status).toBe(429);
    const withKey = await statuses(limit, "203.0.113.3", auth);
    expect(withKey.filter((s) => s !== 200)).toEqual([]);
    // the key's count follows the key, not the address
    const over = await preview("203.0.113.4", auth);
    expect([over.status, over.headers.get("retry-after")]).toEqual([429, String(periodS)]);
    expect(((await over.json()) as { error: { message: string } }).error.message).toContain("this API key");
  });

  it("refuses an unknown key with 401 rather than counting it as anonymous", async () => {
    const r = await preview("203.0.113.5", { authorization: "Bearer fcn_not-a-key" });
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });

  it("is skipped only by a development Worker asked to (PREVIEW_RATE_LIMIT=off)", async () => {
    const { limit } = PREVIEW_RATE_LIMITS.anonymous;
    await awayFromWindowEdge(60, 15);
    const off = { ...env, PREVIEW_RATE_LIMIT: "off" };
    const production = { ...off, ENVIRONMENT: "production" };
    const sent: number[] = [];
    for (let i = 0; i <= limit; i++) sent.push((await preview("203.0.113.6", {}, off)).status);
    expect(sent.every((s) => s === 200)).toBe(true);
    for (let i = 0; i < limit; i++) await (await preview("203.0.113.7", {}, production)).body?.cancel();
    expect((await preview("203.0.113.7", {}, production)).status).toBe(429);
  });
});
