/**
 * The OpenAPI 3.1 document of the edge tier, generated from the zod schemas in schemas.ts
 * (the ones that validate requests) by a small route registry. The routes are plain Hono
 * (binary and multipart bodies), so each one is described here once: `ROUTES` is the list
 * of every route the Worker mounts, and the tests hold the app to it.
 */
import { z } from "zod";
import { JOB_LIMITS, PREVIEW_LIMITS } from "../../models/runtime/limits.ts";
import { OUTPUT_PART_BYTES, PROBABILITIES_CONTENT_TYPE } from "../../protocol/jobs.ts";
import * as S from "./schemas.ts";

export type Method = "get" | "post" | "put" | "delete";
export type SecurityName = "apiKey" | "adminToken" | "signedUrl" | "callbackHmac";
export type TagName = "meta" | "preview" | "jobs" | "admin" | "demo" | "internal" | "webhooks";
export type JsonSchema = Record<string, unknown>;

/** A body or response payload: a registered zod schema, or a plain JSON Schema (bytes, HTML). */
export type Payload = z.ZodType | { raw: JsonSchema };

export interface HeaderDoc {
  description: string;
  schema?: JsonSchema;
}

export interface ResponseDoc {
  description: string;
  content?: Record<string, Payload>;
  headers?: Record<string, HeaderDoc>;
}

/** Error answers of one status: the codes (`error.code`) it can carry. */
export interface ErrorDoc {
  codes: string[];
  description?: string;
  headers?: Record<string, HeaderDoc>;
}

export interface RouteDoc {
  method: Method;
  /** OpenAPI path template (`/v1/jobs/{id}`) */
  path: string;
  tag: TagName;
  operationId: string;
  summary: string;
  description?: string;
  /** Alternatives; empty: no credentials. */
  security: SecurityName[];
  params?: { path?: z.ZodObject; query?: z.ZodObject; header?: z.ZodObject };
  body?: { required: boolean; description?: string; content: Record<string, Payload> };
  responses: Record<number, ResponseDoc>;
  errors: Record<number, ErrorDoc>;
}

// ---------------------------------------------------------------------------------------
// Shared pieces

const bytes = (description: string): Payload => ({ raw: { type: "string", format: "binary", description } });
const header = (description: string, schema: JsonSchema = { type: "string" }): HeaderDoc => ({
  description,
  schema,
});

const WWW_AUTHENTICATE = { "WWW-Authenticate": header('`Bearer realm="fcn"`') };
const unauthorized = (what: string): ErrorDoc => ({
  codes: ["unauthorized"],
  description: `${what} missing, unknown or revoked`,
  headers: WWW_AUTHENTICATE,
});
const signedUrlRefused: ErrorDoc = {
  codes: ["invalid_signature", "url_expired"],
  description: "the URL is not signed, its signature does not match, or it has expired",
};
const RATE_LIMIT_HEADERS = {
  "RateLimit-Limit": header("requests allowed per minute and key", { type: "integer" }),
  "RateLimit-Remaining": header("requests left in this minute", { type: "integer" }),
};
const jobGone = (what = "job"): ErrorDoc => ({
  codes: ["not_found"],
  description: `no such ${what} (another key's jobs answer the same)`,
});
const imageUploadErrors = (limits: {
  maxBytes: number;
  maxDecodeBytes?: number;
}): Record<number, ErrorDoc> => ({
  400: {
    codes: ["empty_body", "unreadable_image", "invalid_request"],
    description: "the body is empty, the image header or data cannot be read, or the request is malformed",
  },
  413: {
    codes: ["payload_too_large"],
    description: `the image is larger than ${limits.maxBytes / (1024 * 1024)} MiB`,
  },
  415: {
    codes: ["unsupported_media_type"],
    description: "neither image/jpeg, image/png, image/webp nor multipart/form-data, or not such an image",
  },
  422: {
    codes: ["too_many_pixels"],
    description: limits.maxDecodeBytes
      ? "more pixels (or a longer side) than the limit, or more than the memory limit allows for this kind of image"
      : "more pixels (or a longer side) than the limit",
  },
});
const IMAGE_BODY = {
  "image/jpeg": bytes("JPEG bytes"),
  "image/png": bytes("PNG bytes"),
  "image/webp": bytes("WebP bytes"),
};
const MASK_PNG = bytes("palette PNG: pixel value = class id, palette = class colours");
const PART_MIB = OUTPUT_PART_BYTES / (1024 * 1024);

// ---------------------------------------------------------------------------------------
// The routes

export const ROUTES: RouteDoc[] = [
  {
    method: "get",
    path: "/v1/health",
    tag: "meta",
    operationId: "getHealth",
    summary: "Health check",
    security: [],
    responses: { 200: { description: "up", content: { "application/json": S.Health } } },
    errors: {},
  },
  {
    method: "get",
    path: "/v1/models",
    tag: "meta",
    operationId: "listModels",
    summary: "Models served at the edge",
    security: [],
    responses: { 200: { description: "the edge model", content: { "application/json": S.ModelList } } },
    errors: {},
  },
  {
    method: "get",
    path: "/openapi.json",
    tag: "meta",
    operationId: "getOpenApi",
    summary: "This document",
    security: [],
    responses: {
      200: {
        description: "OpenAPI 3.1",
        content: { "application/json": { raw: { type: "object", description: "this document" } } },
      },
    },
    errors: {},
  },
  {
    method: "get",
    path: "/docs",
    tag: "meta",
    operationId: "getDocs",
    summary: "This document as a web page",
    security: [],
    responses: {
      200: {
        description: "HTML",
        content: { "text/html": { raw: { type: "string", description: "a self-contained page" } } },
      },
    },
    errors: {},
  },
  {
    method: "post",
    path: "/v1/preview",
    tag: "preview",
    operationId: "preview",
    summary: "Segment an image now, at low resolution",
    description:
      "Runs the int8 edge model in the Worker and answers the mask at the input's size (after EXIF " +
      "orientation). Send the image as the raw body or as the `image` field of multipart/form-data. " +
      `Limits: ${PREVIEW_LIMITS.maxBytes / (1024 * 1024)} MiB, ${PREVIEW_LIMITS.maxPixels / 1e6} megapixels, ` +
      `${PREVIEW_LIMITS.maxSide} pixels per side, and what the image's decoder needs must fit the Worker's ` +
      "memory: 3000x2000 (6 MP) fits in every common coding (baseline and progressive 4:2:0 JPEG, PNG, " +
      "lossy WebP); progressive 4:4:4 JPEGs and lossless or alpha WebPs fit at about 4 to 5 MP. A larger " +
      "image is refused with 422 `too_many_pixels`, whose message says how many megapixels that kind of " +
      "image may have: downscale it, or use POST /v1/jobs for full-size images.",
    security: [],
    params: { query: S.PreviewQuery },
    body: {
      required: true,
      content: { ...IMAGE_BODY, "multipart/form-data": S.PreviewForm },
    },
    responses: {
      200: {
        description: "`format=png`: the mask; `format=json`: a summary per class",
        content: { "image/png": MASK_PNG, "application/json": S.PreviewResult },
        headers: {
          "Server-Timing": header("read, decode, resize, inference, postprocess and encode durations (ms)"),
          "X-Model": header("the model's id (PNG answers)"),
        },
      },
    },
    errors: imageUploadErrors(PREVIEW_LIMITS),
  },
  {
    method: "post",
    path: "/v1/jobs",
    tag: "jobs",
    operationId: "createJob",
    summary: "Submit a full-resolution job",
    description:
      "Stores the image and queues it for the GPU tier; poll GET /v1/jobs/{id} or ask for a webhook. " +
      "Rate-limited per key (60 per minute by default).",
    security: ["apiKey"],
    params: { header: S.JobCreateHeaders },
    body: { required: true, content: { "multipart/form-data": S.JobCreateForm } },
    responses: {
      202: {
        description: "accepted (or, with a reused Idempotency-Key, the job it created)",
        content: { "application/json": S.Job },
        headers: {
          Location: header("`/v1/jobs/{id}`"),
          "Idempotent-Replayed": header("`true` when this answers an earlier request"),
          ...RATE_LIMIT_HEADERS,
        },
      },
    },
    errors: {
      ...imageUploadErrors(JOB_LIMITS),
      400: {
        codes: ["empty_body", "unreadable_image", "invalid_request", "invalid_webhook_url"],
        description:
          "empty or unreadable image, a malformed multipart body, an invalid option field (unknown " +
          "fields too), a bad Idempotency-Key, or a webhook_url that is no URL or points at a private address",
      },
      401: unauthorized("the API key is"),
      409: {
        codes: ["idempotency_conflict"],
        description: "the Idempotency-Key was used with another request",
      },
      415: {
        codes: ["unsupported_media_type"],
        description: "the body is not multipart/form-data, or the image is not JPEG, PNG or WebP",
      },
      429: {
        codes: ["rate_limited"],
        description: "too many submissions this minute",
        headers: {
          "Retry-After": header("seconds until the window ends", { type: "integer" }),
          ...RATE_LIMIT_HEADERS,
        },
      },
      503: {
        codes: ["dns_unavailable", "misconfigured"],
        description:
          "the webhook_url's host name could not be resolved to be checked (try again), or the " +
          "deployment lacks its public origin (PUBLIC_BASE_URL)",
        headers: { "Retry-After": header("seconds to wait (dns_unavailable)", { type: "integer" }) },
      },
    },
  },
  {
    method: "get",
    path: "/v1/jobs",
    tag: "jobs",
    operationId: "listJobs",
    summary: "List your jobs, newest first",
    security: ["apiKey"],
    params: { query: S.JobListQuery },
    responses: { 200: { description: "a page of jobs", content: { "application/json": S.JobList } } },
    errors: {
      400: { codes: ["invalid_request"], description: "limit out of range or an invalid cursor" },
      401: unauthorized("the API key is"),
    },
  },
  {
    method: "get",
    path: "/v1/jobs/{id}",
    tag: "jobs",
    operationId: "getJob",
    summary: "Get a job",
    description: "A succeeded job carries signed links to its outputs, valid for 15 minutes.",
    security: ["apiKey"],
    params: { path: S.JobIdPath },
    responses: { 200: { description: "the job", content: { "application/json": S.Job } } },
    errors: { 401: unauthorized("the API key is"), 404: jobGone() },
  },
  {
    method: "delete",
    path: "/v1/jobs/{id}",
    tag: "jobs",
    operationId: "cancelJob",
    summary: "Cancel a queued job, or delete a finished job's data",
    description:
      "A queued job is canceled; a final job (succeeded, failed, canceled) keeps its status. Either way its " +
      "stored input and outputs are deleted at once (otherwise 7 days after it became final, see " +
      "`expires_at`) and the job stays readable. A running job cannot be stopped: 409, delete it once it " +
      "has finished. Repeating the call is harmless.",
    security: ["apiKey"],
    params: { path: S.JobIdPath },
    responses: {
      200: { description: "the job, its data deleted", content: { "application/json": S.Job } },
    },
    errors: {
      401: unauthorized("the API key is"),
      404: jobGone(),
      409: { codes: ["not_cancelable"], description: "the job is running" },
    },
  },
  {
    method: "get",
    path: "/v1/jobs/{id}/deliveries",
    tag: "jobs",
    operationId: "listJobDeliveries",
    summary: "Webhook delivery attempts of a job",
    security: ["apiKey"],
    params: { path: S.JobIdPath },
    responses: {
      200: { description: "the attempts", content: { "application/json": S.WebhookDeliveryList } },
    },
    errors: { 401: unauthorized("the API key is"), 404: jobGone() },
  },
  {
    method: "get",
    path: "/v1/jobs/{id}/outputs/{name}",
    tag: "jobs",
    operationId: "getJobOutput",
    summary: "Download an output (signed link)",
    description:
      "Use the `mask_url` / `probabilities_url` of a succeeded job as given: they are signed, need no " +
      "API key, and expire after 15 minutes (GET the job again for fresh ones).",
    security: ["signedUrl"],
    params: { path: S.JobOutputPath, query: S.SignedUrlQuery },
    responses: {
      200: {
        description: "the output's bytes",
        content: {
          "image/png": MASK_PNG,
          [PROBABILITIES_CONTENT_TYPE]: bytes("uint8 (C, H, W): round(255 * probability)"),
        },
        headers: { "Cache-Control": header("`private, max-age=900`") },
      },
    },
    errors: { 403: signedUrlRefused, 404: { codes: ["not_found"], description: "no such output" } },
  },
  {
    method: "post",
    path: "/v1/admin/keys",
    tag: "admin",
    operationId: "createKey",
    summary: "Create an API key",
    description: "The key and its webhook secret are shown only in this answer.",
    security: ["adminToken"],
    body: {
      required: false,
      description: "optional; without a JSON content type the key is named `unnamed`",
      content: { "application/json": S.CreateKeyRequest },
    },
    responses: { 201: { description: "the new key", content: { "application/json": S.CreatedKey } } },
    errors: {
      400: { codes: ["invalid_request"], description: "the body is not JSON like the schema" },
      401: unauthorized("the admin token is"),
    },
  },
  {
    method: "get",
    path: "/v1/admin/keys",
    tag: "admin",
    operationId: "listKeys",
    summary: "List API keys",
    security: ["adminToken"],
    responses: { 200: { description: "every key", content: { "application/json": S.KeyList } } },
    errors: { 401: unauthorized("the admin token is") },
  },
  {
    method: "delete",
    path: "/v1/admin/keys/{id}",
    tag: "admin",
    operationId: "revokeKey",
    summary: "Revoke an API key",
    security: ["adminToken"],
    params: { path: S.KeyIdPath },
    responses: { 200: { description: "revoked", content: { "application/json": S.RevokedKey } } },
    errors: {
      401: unauthorized("the admin token is"),
      404: { codes: ["not_found"], description: "no active key with that id" },
    },
  },
  {
    method: "get",
    path: "/v1/demo/key",
    tag: "demo",
    operationId: "getDemoKey",
    summary: "A fresh API key for the demo page (development only)",
    security: [],
    responses: { 200: { description: "a new key", content: { "application/json": S.DemoKey } } },
    errors: { 404: { codes: ["not_found"], description: "outside development" } },
  },
  {
    method: "get",
    path: "/internal/jobs/{id}/input",
    tag: "internal",
    operationId: "getJobInput",
    summary: "Read a job's input (GPU tier)",
    description: "Signed URL from the job message (`input.url`).",
    security: ["signedUrl"],
    params: { path: S.JobIdPath, query: S.SignedUrlQuery },
    responses: { 200: { description: "the stored image", content: IMAGE_BODY } },
    errors: {
      403: signedUrlRefused,
      404: { codes: ["not_found"], description: "no such job, or its input is gone" },
      409: { codes: ["already_completed", "job_canceled"], description: "the job takes no more work" },
    },
  },
  {
    method: "put",
    path: "/internal/jobs/{id}/outputs/{name}",
    tag: "internal",
    operationId: "putJobOutput",
    summary: "Write a job's output, or one part of it (GPU tier)",
    description:
      "Signed URL from the job message (`outputs[name].url`). Without `upload_id`: the whole output, " +
      `up to ${PART_MIB} MiB. With \`upload_id\` and \`part_number\`: one part of a multipart upload ` +
      `(every part but the last of one size, at least 5 MiB, at most ${PART_MIB} MiB). The body needs a ` +
      "Content-Length: it is streamed into storage.",
    security: ["signedUrl"],
    params: { path: S.JobOutputPath, query: S.OutputPartQuery },
    body: {
      required: true,
      content: {
        "image/png": MASK_PNG,
        [PROBABILITIES_CONTENT_TYPE]: bytes("uint8 (C, H, W): round(255 * probability)"),
      },
    },
    responses: {
      200: { description: "the part is stored", content: { "application/json": S.OutputUploadPart } },
      204: { description: "stored" },
    },
    errors: {
      400: {
        codes: ["empty_body", "invalid_request"],
        description: "the output is empty; a bad part_number",
      },
      403: signedUrlRefused,
      404: { codes: ["not_found"], description: "no such job or output name" },
      409: { codes: ["already_completed", "job_canceled"], description: "the job takes no more work" },
      411: { codes: ["length_required"], description: "no Content-Length" },
      413: { codes: ["payload_too_large"], description: `more than ${PART_MIB} MiB in one body` },
    },
  },
  {
    method: "post",
    path: "/internal/jobs/{id}/outputs/{name}",
    tag: "internal",
    operationId: "postJobOutputUpload",
    summary: "Start or complete a multipart output upload (GPU tier)",
    description:
      "For outputs over one body (the probabilities of large images). The output's signed URL, signed " +
      "for PUT, with `uploads` starts an upload; with `upload_id` and the list of parts it completes it.",
    security: ["signedUrl"],
    params: { path: S.JobOutputPath, query: S.OutputUploadQuery },
    body: {
      required: false,
      description: "to complete: every part",
      content: { "application/json": S.OutputUploadComplete },
    },
    responses: {
      200: { description: "started", content: { "application/json": S.OutputUploadCreated } },
      204: { description: "completed: the output is stored" },
    },
    errors: {
      400: { codes: ["invalid_request"], description: "the list of parts is not JSON like the schema" },
      403: signedUrlRefused,
      404: { codes: ["not_found"], description: "no such job or output name, or neither query" },
      409: { codes: ["already_completed", "job_canceled"], description: "the job takes no more work" },
      413: { codes: ["payload_too_large"], description: "a body over 64 KiB" },
    },
  },
  {
    method: "delete",
    path: "/internal/jobs/{id}/outputs/{name}",
    tag: "internal",
    operationId: "abortJobOutputUpload",
    summary: "Abort a multipart output upload (GPU tier)",
    security: ["signedUrl"],
    params: { path: S.JobOutputPath, query: S.OutputAbortQuery },
    responses: { 204: { description: "aborted: its parts are gone" } },
    errors: {
      403: signedUrlRefused,
      404: { codes: ["not_found"], description: "no such job or output name, or no upload_id" },
      409: { codes: ["already_completed", "job_canceled"], description: "the job takes no more work" },
    },
  },
  {
    method: "post",
    path: "/internal/jobs/{id}/callback",
    tag: "internal",
    operationId: "postJobCallback",
    summary: "Report a job's progress or result (GPU tier)",
    description:
      "Signed with the shared CALLBACK_SECRET (see the headers). 409 `already_completed` means the " +
      "job is done: the GPU tier treats it as success.",
    security: ["callbackHmac"],
    params: { path: S.JobIdPath, header: S.CallbackHeaders },
    body: { required: true, content: { "application/json": S.JobCallback } },
    responses: { 200: { description: "applied", content: { "application/json": S.CallbackAck } } },
    errors: {
      400: {
        codes: ["invalid_request", "job_mismatch"],
        description: "the body is not JSON, has an unknown status, or names another job",
      },
      401: {
        codes: ["invalid_signature", "stale_callback"],
        description: "missing or wrong signature headers, or a timestamp outside 300 s",
      },
      404: { codes: ["not_found"], description: "no such job" },
      409: {
        codes: ["replayed_callback", "already_completed", "missing_outputs"],
        description:
          "the callback id was used before; the job is already final; or success was reported before every output was PUT",
      },
      413: { codes: ["payload_too_large"], description: "a body over 1 MiB" },
    },
  },
];

// ---------------------------------------------------------------------------------------
// The document

export interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface MediaType {
  schema: JsonSchema;
}

export interface Response {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, MediaType>;
  "x-error-codes"?: string[];
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, MediaType> };
  responses: Record<string, Response>;
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Partial<Record<Method, Operation>>>;
  webhooks: Record<string, Partial<Record<Method, Operation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<SecurityName, Record<string, string>>;
  };
}

const TAGS: { name: TagName; description: string }[] = [
  { name: "meta", description: "Health, models and this documentation." },
  { name: "preview", description: "Instant low-resolution segmentation in the Worker." },
  { name: "jobs", description: "Full-resolution segmentation on the GPU tier, asynchronous." },
  { name: "admin", description: "API key management (admin token)." },
  { name: "demo", description: "Helpers for the demo page." },
  { name: "internal", description: "Used by the GPU tier only: signed URLs and signed callbacks." },
  { name: "webhooks", description: "Sent to a job's `webhook_url` (Standard Webhooks)." },
];

const SECURITY_SCHEMES: OpenApiDocument["components"]["securitySchemes"] = {
  apiKey: {
    type: "http",
    scheme: "bearer",
    description: "An API key (`fcn_...`) as `Authorization: Bearer <key>` (`npx fcn keys create`).",
  },
  adminToken: {
    type: "http",
    scheme: "bearer",
    description: "The ADMIN_TOKEN secret as `Authorization: Bearer <token>`.",
  },
  signedUrl: {
    type: "apiKey",
    in: "query",
    name: "sig",
    description:
      'A short-lived URL handed out by the API: `exp` (unix seconds) and `sig` = hex HMAC-SHA256 of "METHOD path exp". Use it as given.',
  },
  callbackHmac: {
    type: "apiKey",
    in: "header",
    name: "webhook-signature",
    description:
      'Standard Webhooks, with the CALLBACK_SECRET (`whsec_` + base64) shared with the GPU tier: base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}", sent as `v1,<base64>`.',
  },
};

/** Drop what z.toJSONSchema adds that only clutters an OpenAPI document. */
function tidy({ jsonSchema }: { jsonSchema: JsonSchema }): void {
  if (jsonSchema.format === "date-time") delete jsonSchema.pattern;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
}

// Requests are described as clients send them (defaults optional, option lists as strings).
const CONVERT = { io: "input", override: tidy } as const;

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(S.components, {
    ...CONVERT,
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => [id, withoutDialect(schema as JsonSchema)]),
  );
}

function schemaOf(payload: Payload): JsonSchema {
  if (!(payload instanceof z.ZodType)) return payload.raw;
  const id = S.components.get(payload)?.id;
  if (!id) throw new Error("every body and response schema must be registered in components");
  return { $ref: `#/components/schemas/${id}` };
}

const content = (payloads: Record<string, Payload>): Record<string, MediaType> =>
  Object.fromEntries(Object.entries(payloads).map(([type, p]) => [type, { schema: schemaOf(p) }]));

function parameters(where: Parameter["in"], schema: z.ZodObject | undefined): Parameter[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, CONVERT) as {
    properties: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === "path" || (json.required ?? []).includes(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}

const headers = (docs: Record<string, HeaderDoc> | undefined) =>
  docs
    ? Object.fromEntries(
        Object.entries(docs).map(([name, h]) => [
          name,
          { description: h.description, schema: h.schema ?? { type: "string" } },
        ]),
      )
    : undefined;

function errorResponse(status: number, doc: ErrorDoc): Response {
  const codes = doc.codes.map((c) => `\`${c}\``).join(", ");
  return {
    description: `${doc.description ?? `error ${status}`}. \`error.code\`: ${codes}`,
    ...(doc.headers ? { headers: headers(doc.headers) } : {}),
    content: {
      "application/json": {
        schema: {
          allOf: [
            { $ref: "#/components/schemas/ErrorBody" },
            {
              type: "object",
              properties: { error: { type: "object", properties: { code: { enum: doc.codes } } } },
            },
          ],
        },
      },
    },
    "x-error-codes": doc.codes,
  };
}

const INTERNAL_ERROR: ErrorDoc = {
  codes: ["internal_error"],
  description: "a fault on our side; it has been logged",
};

export function operation(route: RouteDoc): Operation {
  const params = [
    ...parameters("path", route.params?.path),
    ...parameters("query", route.params?.query),
    ...parameters("header", route.params?.header),
  ];
  const responses: Record<string, Response> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.headers ? { headers: headers(r.headers) } : {}),
      ...(r.content ? { content: content(r.content) } : {}),
    };
  }
  for (const [status, e] of Object.entries({ ...route.errors, 500: INTERNAL_ERROR })) {
    responses[status] = errorResponse(Number(status), e);
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.security.map((name) => ({ [name]: [] })),
    ...(params.length ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.body.required,
            ...(route.body.description ? { description: route.body.description } : {}),
            content: content(route.body.content),
          },
        }
      : {}),
    responses,
  };
}

function webhook(event: z.infer<typeof S.WebhookEvent>, when: string): Operation {
  return {
    operationId: `webhook_${event.replace(".", "_")}`,
    summary: `${event}: ${when}`,
    description:
      "POSTed to the job's `webhook_url` when it subscribed to this event. Signed per Standard Webhooks " +
      "with the API key's `webhook_secret`; verify with any Standard Webhooks library. Redirects are " +
      "followed (3 at most, each target checked); non-2xx answers and timeouts (10 s) are retried with backoff.",
    tags: ["webhooks"],
    security: [],
    parameters: parameters("header", S.WebhookHeaders),
    requestBody: { required: true, content: content({ "application/json": S.WebhookPayload }) },
    responses: {
      "2XX": { description: "delivered" },
      default: { description: "not delivered: retried later" },
    },
  };
}

let cached: Omit<OpenApiDocument, "servers"> | undefined;

function build(): Omit<OpenApiDocument, "servers"> {
  const paths: OpenApiDocument["paths"] = {};
  for (const route of ROUTES) {
    paths[route.path] ??= {};
    paths[route.path][route.method] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "FCN semantic segmentation API",
      version: "1.0.0",
      description:
        "Semantic segmentation with Fully Convolutional Networks: instant previews at the edge " +
        "(POST /v1/preview) and full-resolution jobs on GPUs (/v1/jobs). Errors answer " +
        '`{"error": {"code", "message"}}`; unknown routes answer 404 `not_found`.',
    },
    tags: TAGS,
    paths,
    webhooks: {
      "job.succeeded": { post: webhook("job.succeeded", "the job finished with a result") },
      "job.failed": { post: webhook("job.failed", "the job failed (see `data.error`)") },
    },
    components: { schemas: componentSchemas(), securitySchemes: SECURITY_SCHEMES },
  };
}

/** The whole document, with `serverUrl` as its only server. */
export function openApiDocument(serverUrl: string): OpenApiDocument {
  cached ??= build();
  const { openapi, info, ...rest } = cached;
  return { openapi, info, servers: [{ url: serverUrl }], ...rest };
}
