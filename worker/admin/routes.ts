/** /v1/admin/keys: API key management for `npx fcn keys` (admin token). */
import { Hono } from "hono";
import { createApiKey, listKeys, revokeKey } from "../auth/keys.ts";
import { requireAdmin } from "../auth/middleware.ts";
import { ApiError } from "../errors/index.ts";
import { CreateKeyRequest } from "../openapi/schemas.ts";
import type { AppEnv } from "../types.ts";

export const admin = new Hono<AppEnv>();

admin.use("*", requireAdmin);

admin.post("/keys", async (c) => {
  let name = "unnamed";
  if ((c.req.header("content-type") ?? "").includes("application/json")) {
    const body = CreateKeyRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) {
      throw new ApiError(
        400,
        "invalid_request",
        'body must be JSON like {"name": "..."} (name up to 100 characters)',
      );
    }
    name = body.data.name ?? name;
  }
  return c.json(await createApiKey(c.env.DB, name), 201);
});

admin.get("/keys", async (c) => c.json({ object: "list", data: await listKeys(c.env.DB) }));

admin.delete("/keys/:id", async (c) => {
  if (!(await revokeKey(c.env.DB, c.req.param("id"))))
    throw new ApiError(404, "not_found", "no active key with that id");
  return c.json({ id: c.req.param("id"), revoked: true });
});
