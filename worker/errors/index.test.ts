import { applyD1Migrations, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../app.ts";
import { BASE, newKey } from "../test/helpers.ts";

/** Test-only bindings (vitest.config.ts): a D1 no migration touched, and the migrations. */
const testEnv = env as unknown as {
  UNMIGRATED_DB: D1Database;
  TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1];
};

/** The app on a Worker whose DB binding is the unmigrated database. */
async function onUnmigrated(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(`${BASE}${path}`, init),
    { ...env, DB: testEnv.UNMIGRATED_DB },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

const adminHeaders = { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" };

describe("a D1 that no migration prepared", () => {
  it("answers 503 misconfigured naming the migrations step, not 500 'no such table'", async () => {
    const created = await onUnmigrated("/v1/admin/keys", {
      method: "POST",
      headers: adminHeaders,
      body: JSON.stringify({ name: "first-deploy" }),
    });
    expect(created.status).toBe(503);
    const body = (await created.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("misconfigured");
    expect(body.error.message).toContain("no such table: api_keys");
    expect(body.error.message).toContain("wrangler d1 migrations apply");
    expect(body.error.message).toContain("npm run deploy");

    // An API key's request reaches the same table through the auth middleware.
    const { key } = await newKey("migrated");
    const listed = await onUnmigrated("/v1/jobs", { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(503);
    expect(((await listed.json()) as { error: { code: string } }).error.code).toBe("misconfigured");
  });

  it("answers the same when a later migration is missing (a table or column it adds)", async () => {
    await applyD1Migrations(testEnv.UNMIGRATED_DB, testEnv.TEST_MIGRATIONS.slice(0, 1));
    const created = await onUnmigrated("/v1/admin/keys", {
      method: "POST",
      headers: adminHeaders,
      body: JSON.stringify({ name: "half-migrated" }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    // Batches came with migration 0007.
    const batch = await onUnmigrated("/v1/batches/batch_nope", {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(batch.status).toBe(503);
    const body = (await batch.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("misconfigured");
    expect(body.error.message).toContain("no such table: batches");
  });
});
