/** GET /openapi.json and GET /docs: the API described from the schemas that validate it. */
import { Hono } from "hono";
import type { AppEnv } from "../types.ts";
import { renderDocsPage } from "./docs-page.ts";
import { openApiDocument } from "./document.ts";

export const openapi = new Hono<AppEnv>();

const serverUrl = (env: Env, url: string) => env.PUBLIC_BASE_URL ?? new URL(url).origin;

openapi.get("/openapi.json", (c) =>
  c.json(openApiDocument(serverUrl(c.env, c.req.url)), 200, {
    "Access-Control-Allow-Origin": "*",
    "Cache-Control": "public, max-age=300",
  }),
);

openapi.get("/docs", (c) =>
  c.html(renderDocsPage(openApiDocument(serverUrl(c.env, c.req.url))), 200, {
    "Content-Security-Policy":
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    "Cache-Control": "public, max-age=300",
  }),
);
