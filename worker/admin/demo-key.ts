/**
 * GET /v1/demo/key: in development only, the demo page's API key, so trying the job flow
 * locally needs no setup. It is one key per deployment (derived from the URL signing secret),
 * not a new one per page load. Production answers 404 and the page asks for a key.
 */
import { createRoute } from "@hono/zod-openapi";
import { derivedApiKey } from "../auth/keys.ts";
import { ApiError } from "../errors/index.ts";
import { createApp } from "../openapi/app.ts";
import { errors } from "../openapi/responses.ts";
import { DemoKey } from "./schemas.ts";

export const demoKey = createApp();

demoKey.openapi(
  createRoute({
    method: "get",
    path: "/key",
    tags: ["demo"],
    operationId: "getDemoKey",
    summary: "A fresh API key for the demo page (development only)",
    security: [],
    responses: {
      200: { description: "a new key", content: { "application/json": { schema: DemoKey } } },
      ...errors({ 404: { codes: ["not_found"], description: "outside development" } }),
    },
  }),
  async (c) => {
    if (c.env.ENVIRONMENT !== "development")
      throw new ApiError(404, "not_found", "no route for GET /v1/demo/key");
    return c.json({ key: await derivedApiKey(c.env.DB, c.env.URL_SIGNING_SECRET, "demo page") }, 200);
  },
);
