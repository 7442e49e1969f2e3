/** GET /openapi.json and GET /docs: the API described from the schemas that validate it. */
import { Hono } from "hono";
import { publicOrigin } from "../config.ts";
import type { AppEnv } from "../types.ts";
import { renderDocsPage } from "./docs-page.ts";
import { openApiDocument } from "./document.ts";

export const openapi = new Hono<AppEnv>();

openapi.get("/openapi.json", (c) =>
  c.json(openApiDocument(publicOrigin(c.env)), 200, {
    "Access-Control-Allow-Origin": "*",
    "Cache-Control": "public, max-age=300",
  }),
);

openapi.get("/docs", (c) =>
  c.html(renderDocsPage(openApiDocument(publicOrigin(c.env))), 200, {
    "Content-Security-Policy":
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    "Cache-Control": "public, max-age=300",
  }),
);
