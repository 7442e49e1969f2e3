/**
 * GET /v1/demo/key: in development only, the demo page's API key, so trying the job flow
 * locally needs no setup. It is one key per deployment (derived from the URL signing secret),
 * not a new one per page load. Production answers 404 and the page asks for a key.
 */
import { Hono } from "hono";
import { derivedApiKey } from "../auth/keys.ts";
import { ApiError } from "../errors/index.ts";
import type { AppEnv } from "../types.ts";

export const demoKey = new Hono<AppEnv>();

demoKey.get("/key", async (c) => {
  if (c.env.ENVIRONMENT !== "development")
    throw new ApiError(404, "not_found", "no route for GET /v1/demo/key");
  return c.json({ key: await derivedApiKey(c.env.DB, c.env.URL_SIGNING_SECRET, "demo page") });
});
