/** /v1/batches: submit up to 100 images with shared options, and follow them as one. */
import { createRoute } from "@hono/zod-openapi";
import { InputError } from "../../models/runtime/errors.ts";
import { IMAGE_TYPE_NAMES } from "../../models/runtime/image-info.ts";
import { JOB_LIMITS } from "../../models/runtime/limits.ts";
import { requireApiKey } from "../auth/middleware.ts";
import { rateLimit } from "../auth/rate-limit.ts";
import { ApiError } from "../errors/index.ts";
import { checkJobImage, imageUrlOf, readJsonObject } from "../jobs/input.ts";
import { LIST_OPTION_FIELDS, optionFieldsFromJson, parseBatchOptions } from "../jobs/options.ts";
import { applyCancelAfter, submissionBody, submit } from "../jobs/submit.ts";
import { urlPolicy } from "../net/url-policy.ts";
import { createApp } from "../openapi/app.ts";
import {
  type ErrorDoc,
  errors,
  header,
  imageUploadErrors,
  RATE_LIMIT_HEADERS,
  rateLimited,
  unauthorized,
} from "../openapi/responses.ts";
import { BATCH_FETCH_LIMITS, fetchBatchItems, namedItemError } from "./fetch-items.ts";
import { MAX_BATCH_BYTES, MAX_BATCH_ITEMS } from "./limits.ts";
import {
  type BatchRow,
  batchJobs,
  findBatchByIdempotencyKey,
  getBatch,
  listBatchDeliveries,
} from "./repo.ts";
import {
  Batch,
  BatchCreateForm,
  BatchCreateHeaders,
  BatchCreateJson,
  BatchDeliveryList,
  BatchIdPath,
} from "./schemas.ts";
import { acceptBatch, acceptMissingItems, type BatchItem, type NewBatch } from "./service.ts";
import { readBatchUpload, tooManyItems } from "./upload.ts";
import { publicBatch } from "./view.ts";

export const batches = createApp();

const security = [{ apiKey: [] }];
const keyRefused = unauthorized("the API key is");
const batchGone: ErrorDoc = {
  codes: ["not_found"],
  description: "no such batch (another key's batches answer the same)",
};

batches.use("*", requireApiKey);
batches.openAPIRegistry.register("BatchCreateForm", BatchCreateForm);
batches.openAPIRegistry.register("BatchCreateJson", BatchCreateJson);

const createBatch = createRoute({
  method: "post",
  path: "/",
  tags: ["batches"],
  operationId: "createBatch",
  summary: "Submit up to 100 images as one batch",
  description:
    `Up to ${MAX_BATCH_ITEMS} images (the multipart field \`image\` repeated, at most ` +
    `${MAX_BATCH_BYTES / (1024 * 1024)} MiB together; or a JSON body with \`images: [{ image_url }]\`), with ` +
    "options shared by every item. Every item is checked before any is stored: one bad item refuses the " +
    "whole batch, naming its index. Each item becomes a job (GET /v1/jobs/{id}); follow them together " +
    "with GET /v1/batches/{id}, or the `batch.completed` webhook. One Idempotency-Key covers the batch. " +
    `image_urls are fetched as one unit: each distinct URL once, at most ${BATCH_FETCH_LIMITS.concurrency} at a ` +
    `time and ${BATCH_FETCH_LIMITS.perHost} to one host, at most ${BATCH_FETCH_LIMITS.maxRedirects} redirects for ` +
    `the whole batch, all within ${BATCH_FETCH_LIMITS.deadlineMs / 1000} s; the first item that fails stops the ` +
    "others (422 image_url_unreachable, naming it).",
  security,
  middleware: [rateLimit("batches", 20)] as const,
  request: {
    headers: BatchCreateHeaders,
    // Described, not validated here: read capped while streaming, then parsed item by item.
    body: {
      required: true,
      content: {
        "multipart/form-data": { schema: { $ref: "#/components/schemas/BatchCreateForm" } },
        "application/json": { schema: { $ref: "#/components/schemas/BatchCreateJson" } },
      },
    },
  },
  responses: {
    202: {
      description: "accepted (or, with a reused Idempotency-Key, the batch it created)",
      content: { "application/json": { schema: Batch } },
      headers: {
        Location: header("`/v1/batches/{id}`"),
        "Idempotent-Replayed": header("`true` when this answers an earlier request"),
        ...RATE_LIMIT_HEADERS,
      },
    },
    ...errors({
      ...imageUploadErrors(JOB_LIMITS),
      400: {
        codes: [
          "empty_body",
          "unreadable_image",
          "invalid_request",
          "invalid_webhook_url",
          "unsafe_image_url",
          "too_many_items",
        ],
        description:
          `more than ${MAX_BATCH_ITEMS} images (too_many_items), none, an item that is unreadable or an ` +
          "image_url the edge may not fetch (the message names the item's index), or an invalid option",
      },
      401: keyRefused,
      409: {
        codes: ["idempotency_conflict"],
        description: "the Idempotency-Key was used with another request",
      },
      413: {
        codes: ["payload_too_large"],
        description: `an image over ${JOB_LIMITS.maxBytes / (1024 * 1024)} MiB, or more than ${MAX_BATCH_BYTES / (1024 * 1024)} MiB together`,
      },
      415: {
        codes: ["unsupported_media_type"],
        description: `neither multipart/form-data nor application/json, or an item is not a ${IMAGE_TYPE_NAMES}`,
      },
      422: {
        codes: ["too_many_pixels", "image_url_unreachable"],
        description:
          "an item has too many pixels, or its image_url could not be fetched (also: the batch's redirects or " +
          "fetching time ran out)",
      },
      429: rateLimited("batches"),
      503: {
        codes: ["dns_unavailable", "misconfigured"],
        description:
          "a host name could not be resolved to be checked (try again), or PUBLIC_BASE_URL is missing",
      },
    }),
  },
});

batches.openapi(createBatch, async (c) => {
  const headers = c.req.valid("header");
  const { images, fields } = await readBatchBody(c.req.raw);
  const options = parseBatchOptions(fields);
  applyCancelAfter(options.job, headers["cancel-after"]);
  const apiKeyId = c.get("apiKey").id;
  const idempotencyKey = headers["idempotency-key"] ?? null;
  // The checked uploads, or the image_urls fetched once, and only when something is to be stored.
  let items: Promise<BatchItem[]> | undefined;
  const newBatch = async (requestHash: string): Promise<NewBatch> => {
    if (!items)
      items =
        "urls" in images ? fetchBatchItems(images.urls, urlPolicy(c.env)) : Promise.resolve(images.items);
    return { apiKeyId, items: await items, options, idempotencyKey, requestHash };
  };
  const { row, replayed } = await submit(c.env, {
    kind: "batch",
    images: "urls" in images ? images.urls : images.items.map((item) => item.bytes),
    options,
    webhookUrl: options.webhookUrl,
    idempotencyKey,
    find: (key) => findBatchByIdempotencyKey(c.env.DB, apiKeyId, key),
    accept: async (requestHash) => acceptBatch(c.env, await newBatch(requestHash)),
    resume: async (earlier, requestHash) => {
      // Whole, or completed with what it had (its replay window passed): a replay changes nothing.
      if (earlier.completed_at || (await batchJobs(c.env.DB, earlier.id)).length === earlier.size) return;
      // The first request was cut short after storing the batch: finish it with the same images.
      await acceptMissingItems(c.env, earlier, await newBatch(requestHash));
    },
  });
  if (!replayed)
    console.log(JSON.stringify({ level: "info", msg: "batch accepted", batch_id: row.id, size: row.size }));
  const body = await publicBatch(c.env, row, await batchJobs(c.env.DB, row.id));
  const extra: Record<string, string> = { Location: `/v1/batches/${row.id}` };
  if (replayed) extra["Idempotent-Replayed"] = "true";
  return c.json(body, 202, extra);
});

batches.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["batches"],
    operationId: "getBatch",
    summary: "Get a batch: its status, counts per job status, and items in order",
    security,
    request: { params: BatchIdPath },
    responses: {
      200: { description: "the batch", content: { "application/json": { schema: Batch } } },
      ...errors({
        401: keyRefused,
        404: batchGone,
      }),
    },
  }),
  async (c) => {
    const row = await ownBatch(c.env, c.get("apiKey").id, c.req.valid("param").id);
    return c.json(await publicBatch(c.env, row, await batchJobs(c.env.DB, row.id)), 200);
  },
);

batches.openapi(
  createRoute({
    method: "get",
    path: "/{id}/deliveries",
    tags: ["batches"],
    operationId: "listBatchDeliveries",
    summary: "Delivery attempts of a batch's batch.completed webhook",
    description:
      "Every attempt, retried with backoff like a job's, and a `dead_lettered` record if every retry failed. " +
      "The items' own job webhooks are listed on each job (GET /v1/jobs/{id}/deliveries).",
    security,
    request: { params: BatchIdPath },
    responses: {
      200: { description: "the attempts", content: { "application/json": { schema: BatchDeliveryList } } },
      ...errors({ 401: keyRefused, 404: batchGone }),
    },
  }),
  async (c) => {
    const row = await ownBatch(c.env, c.get("apiKey").id, c.req.valid("param").id);
    const data = (await listBatchDeliveries(c.env.DB, row.id)).map(({ batch_id: _, ...d }) => ({
      ...d,
      event: "batch.completed" as const,
    }));
    return c.json({ object: "list" as const, data }, 200);
  },
);

/** The key's batch with this id; another key's answers 404 like a missing one. */
async function ownBatch(env: Env, apiKeyId: string, id: string): Promise<BatchRow> {
  const row = await getBatch(env.DB, id);
  if (!row || row.api_key_id !== apiKeyId) throw new ApiError(404, "not_found", `no batch ${id}`);
  return row;
}

/**
 * POST /v1/batches's body: the uploaded images, each checked (a refusal names its index), or
 * the image_urls to fetch once the request is known to be new; and the option fields, as text.
 */
async function readBatchBody(
  request: Request,
): Promise<{ images: { items: BatchItem[] } | { urls: string[] }; fields: Record<string, string> }> {
  const body = submissionBody(
    request,
    "POST /v1/batches takes multipart/form-data (`image` repeated) or application/json (`images`)",
  );
  if (body === "multipart/form-data") {
    const upload = await readBatchUpload(request, JOB_LIMITS.maxBytes, LIST_OPTION_FIELDS);
    const items = upload.images.map((bytes, index) => checkItem(index, bytes));
    return { images: { items }, fields: upload.fields };
  }
  const json = await readJsonObject(request);
  return { images: { urls: imageUrlsOf(json.images) }, fields: optionFieldsFromJson(json, ["images"]) };
}

/** The JSON form's `images`: 1..MAX_BATCH_ITEMS objects with an image_url each. */
function imageUrlsOf(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new InputError("invalid_request", "images must be a list of { image_url } objects");
  if (value.length > MAX_BATCH_ITEMS) throw tooManyItems();
  return value.map((item, index) => {
    if (typeof item !== "object" || item === null || Object.keys(item).some((k) => k !== "image_url"))
      throw new InputError("invalid_request", `images[${index}] must be an object with only image_url`);
    return imageUrlOf((item as { image_url?: unknown }).image_url, `images[${index}].image_url`);
  });
}

/** Check one image like an upload, naming its index when it is refused. */
function checkItem(index: number, bytes: Uint8Array): BatchItem {
  return { bytes, info: forItem(index, () => checkJobImage(bytes)) };
}

/** Run `check` for item `index`; a refusal keeps its status and code and names the item. */
function forItem<T>(index: number, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw namedItemError(index, error);
  }
}
