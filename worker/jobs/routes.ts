/** /v1/jobs: submit, read, list, cancel, deliveries (and redelivery), and result downloads. */
import { createRoute } from "@hono/zod-openapi";
import { IMAGE_TYPE_NAMES, type ImageInfo } from "../../models/runtime/image-info.ts";
import { JOB_LIMITS } from "../../models/runtime/limits.ts";
import type { JobOutputName } from "../../protocol/jobs.ts";
import { requireApiKey } from "../auth/middleware.ts";
import { rateLimit } from "../auth/rate-limit.ts";
import { ApiError } from "../errors/index.ts";
import { fetchImageUrl } from "../images/fetch-url.ts";
import { readImageUpload } from "../images/read-body.ts";
import { urlPolicy } from "../net/url-policy.ts";
import { createApp } from "../openapi/app.ts";
import {
  type ErrorDoc,
  errors,
  header,
  imageUploadErrors,
  OUTPUT_BODY,
  RATE_LIMIT_HEADERS,
  rateLimited,
  signedUrlRefused,
  unauthorized,
} from "../openapi/responses.ts";
import { SignedUrlQuery } from "../openapi/schemas.ts";
import { getDelivery, lastAttempt, listDeliveries } from "../webhooks/deliveries.ts";
import { enqueueRedelivery } from "../webhooks/enqueue.ts";
import { WebhookDeliveryList, WebhookRedelivery } from "../webhooks/schemas.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import {
  EVENTS_HEARTBEAT_MS,
  EVENTS_MAX_LIFETIME_MS,
  EVENTS_POLL_MS,
  MAX_EVENT_STREAMS_PER_KEY,
  streamJobEvents,
} from "./events.ts";
import { checkJobImage, imageUrlOf, readJsonObject } from "./input.ts";
import { LIST_OPTION_FIELDS, optionFieldsFromJson, parseJobOptions } from "./options.ts";
import { findJobByIdempotencyKey, getJob, type JobRow, listJobsOfKey } from "./repo.ts";
import { purgeJob } from "./retention.ts";
import {
  DeliveryPath,
  Job,
  JobCreateForm,
  JobCreateHeaders,
  JobCreateJson,
  JobEventStream,
  JobIdPath,
  JobList,
  JobListQuery,
  OutputNamePath,
} from "./schemas.ts";
import { acceptJob, cancelJob, outputKey, publicJob } from "./service.ts";
import { requireSignedUrl } from "./signed-urls.ts";
import { isFinal } from "./state.ts";
import { applyCancelAfter, submissionBody, submit } from "./submit.ts";
import { capPreferWaits, MAX_WAITS_PER_KEY, parsePreferWait, waitForEnd } from "./waiting.ts";

export const jobs = createApp();

const security = [{ apiKey: [] }];
const keyRefused = unauthorized("the API key is");
const jobGone: ErrorDoc = {
  codes: ["not_found"],
  description: "no such job (another key's jobs answer the same)",
};

// Result downloads are authorised by their signature, not by a key: they are links to hand on.
jobs.openapi(
  createRoute({
    method: "get",
    path: "/{id}/outputs/{name}",
    tags: ["jobs"],
    operationId: "getJobOutput",
    summary: "Download an output (signed link)",
    description:
      "Use the `<output>_url` links (`mask_url`, `rle_url`, ...) of a succeeded job as given: they are signed, need no " +
      "API key, and expire after 15 minutes (GET the job again for fresh ones).",
    security: [{ signedUrl: [] }],
    middleware: [requireSignedUrl("GET")] as const,
    request: { params: OutputNamePath, query: SignedUrlQuery },
    responses: {
      200: {
        description: "the output's bytes",
        content: OUTPUT_BODY,
        headers: { "Cache-Control": header("`private, max-age=900`") },
      },
      ...errors({ 403: signedUrlRefused, 404: { codes: ["not_found"], description: "no such output" } }),
    },
  }),
  async (c) => {
    const { id, name } = c.req.valid("param");
    const object = await c.env.BUCKET.get(outputKey(id, name as JobOutputName));
    if (!object) throw new ApiError(404, "not_found", "no such output");
    return new Response(object.body, {
      headers: {
        "content-type": object.httpMetadata?.contentType ?? "application/octet-stream",
        "cache-control": "private, max-age=900",
      },
    });
  },
);

jobs.use("*", requireApiKey);

async function ownJob(c: { env: Env; get: (k: "apiKey") => { id: string } }, id: string): Promise<JobRow> {
  const row = await getJob(c.env.DB, id);
  // Another key's job answers exactly like a missing one: ids reveal nothing.
  if (!row || row.api_key_id !== c.get("apiKey").id) throw new ApiError(404, "not_found", `no job ${id}`);
  return row;
}

const SUBMIT_HEADERS = {
  Location: header("`/v1/jobs/{id}`"),
  "Idempotent-Replayed": header("`true` when this answers an earlier request"),
  "Preference-Applied": header("`wait=N` when a `Prefer: wait=N` was honoured"),
  ...RATE_LIMIT_HEADERS,
};

const createJob = createRoute({
  method: "post",
  path: "/",
  tags: ["jobs"],
  operationId: "createJob",
  summary: "Submit a full-resolution job",
  description:
    "Stores the image (uploaded as multipart/form-data, or fetched from `image_url` in a JSON body) " +
    "and queues it for the GPU tier; poll GET /v1/jobs/{id}, ask for a webhook, or " +
    "send `Prefer: wait=N` to have the answer held until the job ends (at most N seconds). " +
    "A multipart form has one `image` part; a field given twice is 400, except the lists `outputs` and " +
    "`webhook_events`, whose repeated values all count. " +
    "Rate-limited per key (60 per minute by default); a key may have " +
    `${MAX_WAITS_PER_KEY} \`Prefer: wait\` requests held at once (429 beyond, nothing stored).`,
  security,
  middleware: [rateLimit("jobs", 60), capPreferWaits] as const,
  request: {
    headers: JobCreateHeaders,
    // Described, not validated here: the body is read capped while it streams, then its fields
    // are parsed with the same schema (parseJobOptions), whichever of the two forms it has.
    body: {
      required: true,
      content: {
        "multipart/form-data": { schema: { $ref: "#/components/schemas/JobCreateForm" } },
        "application/json": { schema: { $ref: "#/components/schemas/JobCreateJson" } },
      },
    },
  },
  responses: {
    200: {
      description: "with `Prefer: wait=N`: the job ended within N seconds (succeeded, failed or canceled)",
      content: { "application/json": { schema: Job } },
      headers: SUBMIT_HEADERS,
    },
    202: {
      description:
        "accepted (or, with a reused Idempotency-Key, the job it created); with `Prefer: wait=N`, the " +
        "job had not ended after N seconds",
      content: { "application/json": { schema: Job } },
      headers: SUBMIT_HEADERS,
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
        ],
        description:
          "empty or unreadable image, a malformed multipart or JSON body, an invalid option field (unknown " +
          "fields too), a bad Idempotency-Key or Cancel-After (or deadline_s), a webhook_url that is no " +
          "URL or points at a private address, or an image_url the edge may not fetch (not https, a " +
          "private, link-local or loopback target, also behind a redirect)",
      },
      401: keyRefused,
      409: {
        codes: ["idempotency_conflict"],
        description: "the Idempotency-Key was used with another request",
      },
      415: {
        codes: ["unsupported_media_type"],
        description: `the body is neither multipart/form-data nor application/json, or the image is not ${IMAGE_TYPE_NAMES}`,
      },
      422: {
        codes: ["too_many_pixels", "image_url_unreachable"],
        description:
          "more pixels (or a longer side) than the limit, or image_url could not be fetched (network " +
          "error, no answer within 10 s, more than 3 redirects, a non-2xx answer: the message says which)",
      },
      429: {
        ...rateLimited("submissions"),
        description: `too many submissions (more than 60 per minute), or (with \`Prefer: wait\`) ${MAX_WAITS_PER_KEY} held already`,
      },
      503: {
        codes: ["dns_unavailable", "misconfigured"],
        description:
          "the webhook_url's or image_url's host name could not be resolved to be checked (try again), or the " +
          "deployment lacks its public origin (PUBLIC_BASE_URL)",
        headers: { "Retry-After": header("seconds to wait (dns_unavailable)", "integer") },
      },
    }),
  },
});

jobs.openAPIRegistry.register("JobCreateForm", JobCreateForm);
jobs.openAPIRegistry.register("JobCreateJson", JobCreateJson);

jobs.openapi(createJob, async (c) => {
  const started = Date.now();
  const headers = c.req.valid("header");
  const wait = parsePreferWait(headers.prefer);
  const { image, fields } = await readJobBody(c.req.raw);
  const options = parseJobOptions(fields);
  applyCancelAfter(options, headers["cancel-after"]);
  const apiKeyId = c.get("apiKey").id;
  const idempotencyKey = headers["idempotency-key"] ?? null;
  const { row, replayed } = await submit(c.env, {
    kind: "job",
    images: [typeof image === "string" ? image : image.bytes],
    options,
    webhookUrl: options.webhookUrl,
    idempotencyKey,
    find: (key) => findJobByIdempotencyKey(c.env.DB, apiKeyId, key),
    accept: async (requestHash) => {
      // An image_url is fetched only now, once the request is known to be new: a replay never fetches.
      const { bytes, info } =
        typeof image === "string"
          ? checkedImage(await fetchImageUrl(image, urlPolicy(c.env), JOB_LIMITS.maxBytes))
          : image;
      return acceptJob(c.env, {
        apiKeyId,
        bytes,
        contentType: info.type,
        width: info.width,
        height: info.height,
        ...options,
        idempotencyKey,
        requestHash,
      });
    },
  });
  if (!replayed) {
    const log = {
      level: "info",
      msg: "job accepted",
      job_id: row.id,
      bytes: row.input_bytes,
      mode: row.mode,
    };
    console.log(JSON.stringify(log));
  }
  // 202 with the job; with `Prefer: wait`, the job as it stands once the wait is over, 200 if
  // it has ended (a replay waits the same way, for the job the key created).
  const extra: Record<string, string> = { Location: `/v1/jobs/${row.id}` };
  if (replayed) extra["Idempotent-Replayed"] = "true";
  if (wait === undefined) return c.json(await publicJob(c.env, row), 202, extra);
  const now = await waitForEnd(c.env.DB, row, wait, started);
  extra["Preference-Applied"] = `wait=${wait}`;
  const body = await publicJob(c.env, now);
  return isFinal(now.status) ? c.json(body, 200, extra) : c.json(body, 202, extra);
});

/** A checked image: its bytes and what their header says. */
interface CheckedImage {
  bytes: Uint8Array;
  info: ImageInfo;
}

const checkedImage = (bytes: Uint8Array): CheckedImage => ({ bytes, info: checkJobImage(bytes) });

/**
 * POST /v1/jobs's body: the uploaded image, checked at once, or the `image_url` to fetch once
 * the request is known to be new; and the option fields, as text.
 */
async function readJobBody(
  request: Request,
): Promise<{ image: CheckedImage | string; fields: Record<string, string> }> {
  const body = submissionBody(
    request,
    "POST /v1/jobs takes multipart/form-data with an `image` file field, or application/json with an `image_url`",
  );
  if (body === "multipart/form-data") {
    const upload = await readImageUpload(request, JOB_LIMITS, LIST_OPTION_FIELDS);
    return { image: checkedImage(upload.bytes), fields: upload.fields };
  }
  const json = await readJsonObject(request);
  return { image: imageUrlOf(json.image_url), fields: optionFieldsFromJson(json, ["image_url"]) };
}

jobs.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["jobs"],
    operationId: "listJobs",
    summary: "List your jobs, newest first",
    security,
    request: { query: JobListQuery },
    responses: {
      200: { description: "a page of jobs", content: { "application/json": { schema: JobList } } },
      ...errors({
        400: { codes: ["invalid_request"], description: "limit out of range or an invalid cursor" },
        401: keyRefused,
      }),
    },
  }),
  async (c) => {
    const { limit = 20, cursor } = c.req.valid("query");
    const before = cursor ? decodeCursor(cursor) : undefined;
    // One more than a page: whether it comes tells if there is a next page.
    const results = await listJobsOfKey(c.env.DB, c.get("apiKey").id, limit + 1, before);
    const page = results.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        object: "list" as const,
        data: await Promise.all(page.map((r) => publicJob(c.env, r))),
        next_cursor: results.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
      },
      200,
    );
  },
);

jobs.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["jobs"],
    operationId: "getJob",
    summary: "Get a job",
    description: "A succeeded job carries signed links to its outputs, valid for 15 minutes.",
    security,
    request: { params: JobIdPath },
    responses: {
      200: { description: "the job", content: { "application/json": { schema: Job } } },
      ...errors({ 401: keyRefused, 404: jobGone }),
    },
  }),
  async (c) => c.json(await publicJob(c.env, await ownJob(c, c.req.valid("param").id)), 200),
);

jobs.openapi(
  createRoute({
    method: "get",
    path: "/{id}/events",
    tags: ["jobs"],
    operationId: "streamJobEvents",
    summary: "Follow a job as Server-Sent Events",
    description:
      "A `text/event-stream`: the first event is the job as it stands (`status`), then an event on every change, " +
      "`status` when the status changed and `progress` when only `progress` moved; each event's `data` is the job " +
      `as GET /v1/jobs/{id} returns it. The job is read about every ${EVENTS_POLL_MS / 1000} s; a comment line ` +
      `(\`: keep-alive\`) comes every ${EVENTS_HEARTBEAT_MS / 1000} s of quiet. The stream ends after a final status ` +
      "(succeeded, failed, canceled), at the first read after the key is revoked (a reconnect then gets 401), " +
      `and after at most ${EVENTS_MAX_LIFETIME_MS / 60_000} minutes: reconnect then ` +
      "(its first event tells where the job is). Authenticated like GET /v1/jobs/{id} (an `Authorization` header, so " +
      `browsers read it with fetch, not EventSource). A key may hold ${MAX_EVENT_STREAMS_PER_KEY} streams open at once: ` +
      "one more is 429 rate_limited (Retry-After).",
    security,
    request: { params: JobIdPath },
    responses: {
      200: {
        description: "the event stream",
        content: { "text/event-stream": { schema: JobEventStream } },
      },
      ...errors({
        401: keyRefused,
        404: jobGone,
        429: {
          codes: ["rate_limited"],
          description: `the key already holds ${MAX_EVENT_STREAMS_PER_KEY} open event streams`,
          headers: { "Retry-After": header("seconds to wait", "integer") },
        },
      }),
    },
  }),
  async (c) => streamJobEvents(c, await ownJob(c, c.req.valid("param").id)),
);

/**
 * Cancel a queued job, or delete a final job's stored data; either way the input and outputs
 * are gone at once and the job stays readable. A running job cannot be stopped on the GPU
 * tier: 409, to be deleted once it has finished.
 */
jobs.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags: ["jobs"],
    operationId: "cancelJob",
    summary: "Cancel a queued job, or delete a finished job's data",
    description:
      "A queued job is canceled; a final job (succeeded, failed, canceled) keeps its status. Either way its " +
      "stored input and outputs are deleted at once (otherwise 7 days after it became final, see " +
      "`expires_at`) and the job stays readable. A running job cannot be stopped: 409, delete it once it " +
      "has finished. Repeating the call is harmless.",
    security,
    request: { params: JobIdPath },
    responses: {
      200: { description: "the job, its data deleted", content: { "application/json": { schema: Job } } },
      ...errors({
        401: keyRefused,
        404: jobGone,
        409: { codes: ["not_cancelable"], description: "the job is running" },
      }),
    },
  }),
  async (c) => {
    const row = await ownJob(c, c.req.valid("param").id);
    if (row.status === "queued" || row.status === "running") {
      if (!(await cancelJob(c.env, row))) {
        throw new ApiError(
          409,
          "not_cancelable",
          "the job is running; only queued jobs can be canceled (delete it once it has finished)",
        );
      }
    }
    await purgeJob(c.env, row);
    return c.json(await publicJob(c.env, (await getJob(c.env.DB, row.id))!), 200);
  },
);

jobs.openapi(
  createRoute({
    method: "get",
    path: "/{id}/deliveries",
    tags: ["jobs"],
    operationId: "listJobDeliveries",
    summary: "Webhook delivery attempts of a job",
    security,
    request: { params: JobIdPath },
    responses: {
      200: { description: "the attempts", content: { "application/json": { schema: WebhookDeliveryList } } },
      ...errors({ 401: keyRefused, 404: jobGone }),
    },
  }),
  async (c) => {
    const row = await ownJob(c, c.req.valid("param").id);
    return c.json({ object: "list" as const, data: await listDeliveries(c.env.DB, row.id) }, 200);
  },
);

jobs.openapi(
  createRoute({
    method: "post",
    path: "/{id}/deliveries/{delivery_id}/redeliver",
    tags: ["jobs"],
    operationId: "redeliverJobWebhook",
    summary: "Send a webhook again",
    description:
      "Queues the event of that delivery record once more, signed afresh, with the same `webhook-id` (a " +
      "receiver that processed it already can tell). It is sent even if it was delivered before, and retried " +
      "like the first delivery; its attempts appear in GET /v1/jobs/{id}/deliveries, numbered after the " +
      "earlier ones. The payload is the job as it is now. At most 20 redeliveries a minute per key: each is " +
      "a request to a receiver.",
    security,
    middleware: [rateLimit("redeliveries", 20)] as const,
    request: { params: DeliveryPath },
    responses: {
      202: {
        description: "queued",
        content: { "application/json": { schema: WebhookRedelivery } },
        headers: RATE_LIMIT_HEADERS,
      },
      ...errors({
        401: keyRefused,
        404: {
          codes: ["not_found"],
          description: "no such job, or no such delivery of it (another key's answer the same)",
        },
        409: { codes: ["no_webhook"], description: "the job has no webhook_url" },
        429: rateLimited("redeliveries"),
      }),
    },
  }),
  async (c) => {
    const { id, delivery_id: deliveryId } = c.req.valid("param");
    const row = await ownJob(c, id);
    if (!row.webhook_url)
      throw new ApiError(
        409,
        "no_webhook",
        "the job was submitted without a webhook_url: nothing to redeliver",
      );
    const delivery = /^[1-9]\d{0,14}$/.test(deliveryId)
      ? await getDelivery(c.env.DB, row.id, Number(deliveryId))
      : null;
    if (!delivery) throw new ApiError(404, "not_found", `no delivery ${deliveryId} of job ${row.id}`);
    const before = await lastAttempt(c.env.DB, delivery.webhook_id);
    await enqueueRedelivery(
      c.env,
      { job_id: row.id, event: delivery.event, webhook_id: delivery.webhook_id },
      before,
    );
    return c.json(
      {
        object: "webhook_redelivery" as const,
        status: "queued" as const,
        job_id: row.id,
        delivery_id: delivery.id,
        webhook_id: delivery.webhook_id,
        event: delivery.event,
        first_attempt: before + 1,
      },
      202,
    );
  },
);
