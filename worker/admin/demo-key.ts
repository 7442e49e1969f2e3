/**
 * GET /v1/demo/key: in development only, a fresh API key for the demo page, so trying the
 * job flow locally needs no setup. Production answers 404 and the page asks for a key.
 */
import { Hono } from "hono";
import { createApiKey } from "../auth/keys.ts";
import { ApiError } from "../errors/index.ts";
import type { AppEnv } from "../types.ts";

export const demoKey = new Hono<AppEnv>();

demoKey.get("/key", async (c) => {
  if (c.env.ENVIRONMENT !== "development")
    throw new ApiError(404, "not_found", "no route for GET /v1/demo/key");
  const { key } = await createApiKey(c.env.DB, "demo page");
  return c.json({ key });
});
