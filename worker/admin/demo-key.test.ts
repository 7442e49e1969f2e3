import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { call } from "../test/helpers.ts";

it("GET /v1/demo/key gives every page load the same working key, and adds one key in all", async () => {
  const count = async () =>
    (
      await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE name = 'demo page'").first<{
        n: number;
      }>()
    )?.n;
  const keys = await Promise.all(
    [1, 2, 3].map(async () => ((await (await call("/v1/demo/key")).json()) as { key: string }).key),
  );
  const again = ((await (await call("/v1/demo/key")).json()) as { key: string }).key;
  expect(new Set([...keys, again]).size).toBe(1);
  expect(await count()).toBe(1);
  const jobs = await call("/v1/jobs?limit=1", { headers: { authorization: `Bearer ${again}` } });
  expect(jobs.status).toBe(200);
});
