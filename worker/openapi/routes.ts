/**
 * GET /openapi.json and GET /docs. The document is generated from the app itself: every route
 * declares itself with `createRoute` beside its handler, so what is documented is what is
 * mounted and validated. This module adds what belongs to no route: the tags, the security
 * schemes, the shared error body and the webhooks the API sends (their payloads are the
 * webhooks' and batches' own schemas: only this assembly imports them, no feature imports it).
 */

import { SwaggerUI } from "@hono/swagger-ui";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { BatchWebhookPayload } from "../batches/schemas.ts";
import type { AppEnv } from "../types.ts";
import { WebhookHeaders, WebhookPayload } from "../webhooks/schemas.ts";
import { errors, header } from "./responses.ts";
import { ErrorBody } from "./schemas.ts";

const TAGS = [
  { name: "meta", description: "Health, models and this documentation." },
  { name: "preview", description: "Instant low-resolution segmentation in the Worker." },
  { name: "jobs", description: "Full-resolution segmentation on the GPU tier, asynchronous." },
  { name: "batches", description: "Up to 100 images as one batch of jobs with shared options." },
  { name: "admin", description: "API key management (admin token)." },
  { name: "demo", description: "Helpers for the demo page." },
  { name: "internal", description: "Used by the GPU tier only: signed URLs and signed callbacks." },
  { name: "webhooks", description: "Sent to a job's or batch's `webhook_url` (Standard Webhooks)." },
];

const INFO = {
  title: "FCN semantic segmentation API",
  version: "1.0.0",
  description:
    "Semantic segmentation with Fully Convolutional Networks: instant previews at the edge " +
    "(POST /v1/preview) and full-resolution jobs on GPUs (/v1/jobs). Errors answer " +
    '`{"error": {"code", "message"}}`; unknown routes answer 404 `not_found`.',
};

/** The swagger-ui-dist release /docs loads (pinned: the page runs its script). */
const SWAGGER_UI_VERSION = "5.35.0";

/** Tags, security schemes, the error body and the webhooks, registered on the root app. */
function registerShared(app: OpenAPIHono<AppEnv>): void {
  const registry = app.openAPIRegistry;
  registry.register("ErrorBody", ErrorBody);
  registry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An API key (`fcn_...`) as `Authorization: Bearer <key>` (`npx fcn keys create`).",
  });
  registry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The ADMIN_TOKEN secret as `Authorization: Bearer <token>`.",
  });
  registry.registerComponent("securitySchemes", "signedUrl", {
    type: "apiKey",
    in: "query",
    name: "sig",
    description:
      'A short-lived URL handed out by the API: `exp` (unix seconds) and `sig` = hex HMAC-SHA256 of "METHOD path exp". Use it as given.',
  });
  registry.registerComponent("securitySchemes", "callbackHmac", {
    type: "apiKey",
    in: "header",
    name: "webhook-signature",
    description:
      'Standard Webhooks: `v1,` + base64 HMAC-SHA256 with the CALLBACK_SECRET shared with the GPU tier over "{webhook-id}.{webhook-timestamp}.{body}".',
  });
  for (const [event, when] of [
    ["job.started", "the GPU tier started the job (`data` is the job as it is at delivery)"],
    ["job.succeeded", "the job finished with a result"],
    ["job.failed", "the job failed (see `data.error`)"],
    [
      "job.canceled",
      "the job was canceled: DELETE while queued, or its Cancel-After passed (see `data.error`)",
    ],
  ] as const) {
    registry.registerWebhook({
      method: "post",
      path: event,
      operationId: `webhook_${event.replace(".", "_")}`,
      summary: `${event}: ${when}`,
      description:
        "POSTed to the job's `webhook_url` when it subscribed to this event. Signed per Standard Webhooks " +
        "with the API key's `webhook_secret`; verify with any Standard Webhooks library. Redirects are " +
        "followed (3 at most, each target checked); non-2xx answers and timeouts (10 s) are retried with backoff.",
      tags: ["webhooks"],
      security: [],
      request: {
        headers: WebhookHeaders,
        body: { required: true, content: { "application/json": { schema: WebhookPayload } } },
      },
      responses: {
        "2XX": { description: "delivered" },
        default: { description: "not delivered: retried later" },
      },
    });
  }
  registry.registerWebhook({
    method: "post",
    path: "batch.completed",
    operationId: "webhook_batch_completed",
    summary: "batch.completed: every item of the batch has ended",
    description:
      "POSTed once to the batch's `webhook_url` when its last item's job ends (succeeded, failed or canceled), " +
      "if the batch subscribed to it (the default for batches); `data` is the batch. Signed and retried as the " +
      "job events.",
    tags: ["webhooks"],
    security: [],
    request: {
      headers: WebhookHeaders,
      body: { required: true, content: { "application/json": { schema: BatchWebhookPayload } } },
    },
    responses: {
      "2XX": { description: "delivered" },
      default: { description: "not delivered: retried later" },
    },
  });
}

/** The app's OpenAPI 3.1 document with `serverUrl` (the origin it was asked at) as its only server. */
export function openApiDocument(app: OpenAPIHono<AppEnv>, serverUrl: string) {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: INFO,
    servers: [{ url: serverUrl }],
    tags: TAGS,
  });
}

/**
 * Serve the document and its viewer from `app`, the root app (call it after mounting every
 * feature: a sub-app's routes join the root's document when it is mounted).
 */
export function serveDocs(app: OpenAPIHono<AppEnv>): void {
  registerShared(app);
  // Generated once per isolate and server URL: the routes do not change while it runs.
  const documents = new Map<string, ReturnType<typeof openApiDocument>>();

  app.openapi(
    createRoute({
      method: "get",
      path: "/openapi.json",
      tags: ["meta"],
      operationId: "getOpenApi",
      summary: "This document",
      security: [],
      responses: {
        200: {
          description: "OpenAPI 3.1",
          content: { "application/json": { schema: z.looseObject({ openapi: z.string() }) } },
        },
        ...errors({}),
      },
    }),
    (c) => {
      // The origin the request reached, for this document only: describing the API needs no
      // configuration, so a Worker without PUBLIC_BASE_URL still serves it (signed URLs and
      // the GPU tier's links never come from a request: worker/config.ts publicOrigin).
      const origin = new URL(c.req.url).origin;
      let document = documents.get(origin);
      if (document === undefined) {
        document = openApiDocument(app, origin);
        documents.set(origin, document);
      }
      return c.json(document, 200, {
        "Access-Control-Allow-Origin": "*",
        "Cache-Control": "public, max-age=300",
      });
    },
  );

  const page =
    `<!doctype html><html lang="en"><head><meta charset="utf-8" />` +
    `<meta name="viewport" content="width=device-width, initial-scale=1" /><title>${INFO.title}</title></head>` +
    `<body>${SwaggerUI({ url: "/openapi.json", version: SWAGGER_UI_VERSION })}</body></html>`;
  app.openapi(
    createRoute({
      method: "get",
      path: "/docs",
      tags: ["meta"],
      operationId: "getDocs",
      summary: "This document as a web page (Swagger UI)",
      security: [],
      responses: {
        200: {
          description: "HTML",
          content: {
            "text/html": { schema: { type: "string", description: "Swagger UI, loading /openapi.json" } },
          },
          headers: { "Content-Security-Policy": header("what the page may load") },
        },
        ...errors({}),
      },
    }),
    (c) =>
      c.html(page, 200, {
        // The viewer's script and styles come from one pinned CDN release; nothing else loads.
        "Content-Security-Policy":
          "default-src 'none'; script-src https://cdn.jsdelivr.net 'unsafe-inline'; " +
          "style-src https://cdn.jsdelivr.net 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
          "base-uri 'none'; form-action 'none'",
        "Cache-Control": "public, max-age=300",
      }),
  );
}
