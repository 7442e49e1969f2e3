/**
 * The zod schemas of the public API: request fields, headers and bodies (the routes validate
 * with them) and the shapes of the responses (the routes' handlers are typed by them; the
 * tests parse real responses with them). Every schema the OpenAPI document names carries its
 * component id (`.openapi(id)`).
 */
import { z } from "@hono/zod-openapi";
import { IMAGE_CONTENT_TYPES, IMAGE_TYPE_NAMES } from "../../models/runtime/image-info.ts";
import { JOB_LIMITS, PREVIEW_LIMITS } from "../../models/runtime/limits.ts";
import {
  jobCallbackSchema,
  jobProgressSchema,
  jobResultSummarySchema,
  MAX_OUTPUT_PARTS,
  PROGRESS_STAGES,
} from "../../protocol/jobs.ts";
import { BATCH_WEBHOOK_EVENTS, WEBHOOK_EVENTS } from "../../protocol/webhook-events.ts";
import { MAX_BATCH_ITEMS } from "../batches/limits.ts";
import {
  batchOptionFields,
  cancelAfterSeconds,
  JOB_MODES,
  JOB_OUTPUTS,
  JOB_QUALITIES,
  jobOptionFields,
} from "../jobs/options.ts";
import { MAX_CANCEL_AFTER_S } from "../jobs/state.ts";
import { MAX_PREFER_WAIT_S } from "../jobs/waiting.ts";

/** A schema that becomes `#/components/schemas/<id>` in the document. */
function component<T extends z.ZodType>(id: string, schema: T, description: string): T {
  return registered(id, schema.describe(description));
}

/** Name a schema that already carries its description (e.g. one from protocol/). */
function registered<T extends z.ZodType>(id: string, schema: T): T {
  return schema.openapi(id) as T;
}

const timestamp = () => z.iso.datetime();
const count = () => z.number().int().nonnegative();

// ---------------------------------------------------------------------------------------
// Errors

export const ErrorBody = component(
  "ErrorBody",
  z.object({
    error: z.object({
      code: z.string().describe("machine-readable, stable (e.g. `invalid_request`)"),
      message: z.string().describe("for humans; may change"),
    }),
  }),
  "Every error answers with this body. Each operation lists the codes it can answer.",
);

// ---------------------------------------------------------------------------------------
// Health and models

export const Health = component(
  "Health",
  z.object({ status: z.literal("ok"), environment: z.string().describe("`development` or `production`") }),
  "The edge tier is up.",
);

const Rgb = z
  .tuple([
    z.number().int().min(0).max(255),
    z.number().int().min(0).max(255),
    z.number().int().min(0).max(255),
  ])
  .describe("RGB colour");

export const ModelInfo = component(
  "Model",
  z.object({
    id: z.string(),
    role: z
      .enum(["preview", "jobs"])
      .describe(
        "`preview`: the model behind POST /v1/preview (this Worker); `jobs`: behind /v1/jobs (the GPU tier)",
      ),
    variant: z.string().describe("fcn32s, fcn16s or fcn8s"),
    backbone: z.string(),
    quantization: z
      .enum(["fp32", "fp16", "int8"])
      .describe("storage of the weights; `fp16` stores them at half size and computes in fp32"),
    bytes: count().describe("size of the ONNX file"),
    resolution: z
      .object({ width: z.number().int().positive(), height: z.number().int().positive() })
      .nullable()
      .describe("size the input is resized to before inference; null: the input's own size"),
    loaded: z
      .boolean()
      .nullable()
      .describe("whether this isolate has created the session yet; null for the GPU tier's model"),
    classes: z.array(z.object({ name: z.string(), color: Rgb })).describe("class id = index"),
    trained_on: z
      .string()
      .describe("CamVid split the model trained on: `train`, or `train+val` (every labelled frame)"),
    val: z
      .record(z.string(), z.number())
      .nullable()
      .describe(
        "CamVid val metrics (fractions); for a model trained on `train+val`, those of the same recipe's held-out-drive run",
      ),
    held_out_drive: z
      .object({ drive: z.string() })
      .catchall(z.number())
      .nullable()
      .describe(
        "metrics on a CamVid drive left out of training, the closest proxy for streets the model never saw; " +
          "for a model trained on `train+val`, of the same recipe trained without that drive. null: not measured",
      ),
  }),
  "A model served by the edge (preview) or the GPU tier (jobs).",
);

export const ModelList = component("ModelList", z.object({ models: z.array(ModelInfo) }), "Models served.");

// ---------------------------------------------------------------------------------------
// Preview

export const PreviewResult = component(
  "PreviewResult",
  z.object({
    model: z.string(),
    width: z.number().int().positive().describe("mask width (the input's, after EXIF orientation)"),
    height: z.number().int().positive(),
    inference: z
      .object({ width: z.number().int().positive(), height: z.number().int().positive() })
      .describe("size the model ran at"),
    orientation: z.number().int().min(1).max(8).describe("EXIF orientation that was applied (1 = none)"),
    classes: z.array(
      z.object({
        id: count(),
        name: z.string(),
        color: Rgb,
        fraction: z.number().min(0).max(1).describe("share of the mask's pixels"),
      }),
    ),
    timings_ms: z.object({
      read: z.number(),
      decode: z.number(),
      resize: z.number(),
      inference: z.number(),
      postprocess: z.number(),
      encode: z.number(),
    }),
  }),
  "POST /v1/preview?format=json: the segmentation summarised per class.",
);

const MiB = 1024 * 1024;
const imageFile = (limits: {
  maxBytes: number;
  maxPixels: number;
  maxSide: number;
  maxDecodeBytes?: number;
}) =>
  z
    .file()
    .mime([...IMAGE_CONTENT_TYPES])
    // zod-to-openapi has no mapping for files: a file part is a binary string.
    .openapi({
      type: "string",
      format: "binary",
      description:
        `the image: ${IMAGE_TYPE_NAMES}, up to ${limits.maxBytes / MiB} MiB and ` +
        `${limits.maxPixels / 1e6} megapixels (${limits.maxSide} per side)` +
        (limits.maxDecodeBytes ? ", fewer for the codings whose decoders need more memory" : ""),
    });

export const PreviewForm = component(
  "PreviewForm",
  z.object({ image: imageFile(PREVIEW_LIMITS) }),
  "multipart/form-data body of POST /v1/preview (other fields are ignored).",
);

// ---------------------------------------------------------------------------------------
// Jobs

export const JobStatus = z
  .enum(["queued", "running", "succeeded", "failed", "canceled"])
  .describe(
    "queued -> running -> succeeded | failed. A job stuck in running past its deadline goes back to " +
      "queued (at most 3 starts); only queued jobs can be canceled, except by their own `Cancel-After`.",
  );
export const JobMode = z.enum(JOB_MODES);
export const JobOutputName = z.enum(JOB_OUTPUTS);
export const WebhookEvent = z.enum(WEBHOOK_EVENTS);

/** The multipart body of POST /v1/jobs: the validated option fields plus the image. */
export const JobCreateForm = component(
  "JobCreateForm",
  jobOptionFields.extend({ image: imageFile(JOB_LIMITS) }),
  "multipart/form-data fields of POST /v1/jobs. Unknown fields are refused with invalid_request.",
);

const imageUrl = () =>
  z
    .string()
    .meta({ format: "uri", maxLength: 2048 })
    .describe(
      `Where the edge fetches the image (${IMAGE_TYPE_NAMES}, the same limits as an upload): https, a ` +
        "public address (private, link-local and loopback targets are refused with unsafe_image_url, " +
        "also behind a redirect); at most 3 redirects and 10 s.",
    );

/** The JSON options: as the form's fields, but lists may be arrays and deadline_s a number. */
const jsonOptions = {
  mode: JobMode.optional(),
  quality: z.enum(JOB_QUALITIES).optional(),
  outputs: z
    .union([z.array(JobOutputName), z.string()])
    .optional()
    .describe("as the form field, or an array"),
  webhook_url: z.string().meta({ format: "uri" }).optional(),
  webhook_events: z
    .union([z.array(z.string()), z.string()])
    .optional()
    .describe("as the form field, or an array"),
  deadline_s: z.number().int().min(1).max(MAX_CANCEL_AFTER_S).optional(),
};

/** The JSON body of POST /v1/jobs: an image by URL, with the form's options. */
export const JobCreateJson = component(
  "JobCreateJson",
  z.strictObject({ image_url: imageUrl(), ...jsonOptions }),
  "application/json body of POST /v1/jobs: the image by URL. The options mean what the form fields mean.",
);

/** The body of GET /v1/jobs/{id}/events, described: a stream has no JSON schema. */
export const JobEventStream = z.string().openapi({
  description:
    "Server-Sent Events: `event: status` or `event: progress`, `data:` the Job as JSON (one line), `id:` the job's " +
    "last change time, `retry:` a reconnect delay in ms; comment lines keep the stream alive.",
  example: `event: progress\ndata: {"id":"job_...","object":"job","status":"running","progress":{"stage":"inferring","fraction":0.42},...}\nid: 2026-12-01T12:00:00.000Z\nretry: 1000\n\n`,
});

export const JobTimings = z.object({
  queue_wait: z.number(),
  download: z.number(),
  decode: z.number(),
  inference: z.number(),
  upload: z.number(),
  total: z.number(),
});

export const JobProgress = component(
  "JobProgress",
  jobProgressSchema,
  `Where a running job is. \`stage\`: ${PROGRESS_STAGES.join(" -> ")} (in that order, shift k of 64 or tile k of n ` +
    "while inferring). `fraction`: the share of the whole job done, 0..1. Both only move forward.",
);

export const Job = component(
  "Job",
  z.object({
    id: z.string().describe("`job_...`"),
    object: z.literal("job"),
    status: JobStatus,
    mode: JobMode,
    quality: z.enum(JOB_QUALITIES),
    outputs: z.array(JobOutputName),
    input: z.object({
      content_type: z.string(),
      bytes: count(),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
    }),
    webhook: z.object({ url: z.string(), events: z.array(WebhookEvent) }).nullable(),
    attempts: count().describe("how many times the GPU tier started the job"),
    created_at: timestamp(),
    started_at: timestamp().nullable(),
    finished_at: timestamp().nullable(),
    expires_at: timestamp()
      .nullable()
      .describe(
        "when the stored input and outputs are deleted (7 days after the job became final, or when it was " +
          "deleted with DELETE); null until then. The job itself stays readable, with `result` null once they are gone",
      ),
    cancel_after_at: timestamp()
      .nullable()
      .describe(
        "the deadline asked for with `Cancel-After` (or `deadline_s`): not finished by then, the job " +
          "is canceled with the error `deadline_exceeded`; null without one",
      ),
    batch_id: z
      .string()
      .nullable()
      .describe(
        "the batch (`batch_...`, POST /v1/batches) the job is an item of; null for a job submitted alone",
      ),
    batch_index: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .describe("the job's index among its batch's items (its submission order); null without a batch"),
    progress: JobProgress.nullable().describe(
      "null while queued and until the GPU tier first reports; `{ stage: uploading, fraction: 1 }` once " +
        "succeeded; where the job stopped once failed or canceled. GET /v1/jobs/{id}/events streams every change",
    ),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .describe(
        "why a failed job failed (e.g. `not_started`), or why a canceled one was: `deadline_exceeded` when its " +
          "Cancel-After passed",
      ),
    result: z
      .object({
        model: z.string(),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        classes: z
          .array(z.object({ id: z.number().int(), name: z.string(), fraction: z.number() }))
          .describe("share of the mask's pixels per class, as in the preview's answer"),
        class_fractions: z
          .array(z.number())
          .describe("deprecated: the same shares by class id, without names (use `classes`)"),
        provider: z.enum(["cuda", "cpu"]),
        timings_ms: JobTimings,
        mask_url: z.url().describe("signed link to the mask (palette PNG, pixel value = class id)"),
        probabilities_url: z
          .url()
          .optional()
          .describe("signed link to uint8 (C, H, W) probabilities, when requested"),
        rle_url: z
          .url()
          .optional()
          .describe(
            "signed link to the per-class masks as COCO RLE (JSON `{ size: [height, width], classes: " +
              "[{ id, name, counts }] }`, compressed counts, column-major: pycocotools' `decode` reads " +
              "`{ size, counts }`), when requested",
          ),
        overlay_url: z
          .url()
          .optional()
          .describe("signed link to a JPEG of the image blended with the class colours, when requested"),
        expires_at: timestamp().describe("when the signed links stop working (15 minutes)"),
      })
      .nullable()
      .describe("set once the job has succeeded"),
  }),
  "A segmentation job as its owner sees it (also the `data` of a webhook).",
);

export const JobList = component(
  "JobList",
  z.object({
    object: z.literal("list"),
    data: z.array(Job),
    next_cursor: z.string().nullable().describe("pass as `cursor` for the next page; null on the last"),
  }),
  "A page of jobs, newest first.",
);

export const WebhookDelivery = component(
  "WebhookDelivery",
  z.object({
    id: count().describe(
      "this record's id: the `delivery_id` of POST .../deliveries/{delivery_id}/redeliver",
    ),
    webhook_id: z
      .string()
      .describe(
        "the `webhook-id` header, stable across retries and redeliveries: receivers deduplicate on it",
      ),
    event: WebhookEvent,
    attempt: count().describe(
      "1, 2, ...; a redelivery's attempts continue the count; 0 for a `dead_lettered` record",
    ),
    url: z.string(),
    outcome: z
      .enum(["delivered", "failed", "refused", "dead_lettered"])
      .describe(
        "`delivered`: the receiver answered 2xx; `failed`: an error, timeout or non-2xx answer (retried with " +
          "backoff); `refused`: the URL is not allowed (not retried); `dead_lettered`: no attempt but the " +
          "record that every retry failed and the webhook was given up (POST .../redeliver sends it again)",
      ),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    duration_ms: count(),
    created_at: timestamp(),
  }),
  "One attempt to deliver a webhook, or (outcome `dead_lettered`) the record that it was given up.",
);

export const BatchDeliveryList = component(
  "BatchDeliveryList",
  z.object({
    object: z.literal("list"),
    data: z.array(WebhookDelivery.omit({ event: true }).extend({ event: z.literal("batch.completed") })),
  }),
  "Delivery attempts of a batch's batch.completed webhook, oldest first (its items' job webhooks are listed on each job).",
);

export const WebhookRedelivery = component(
  "WebhookRedelivery",
  z.object({
    object: z.literal("webhook_redelivery"),
    status: z.literal("queued"),
    job_id: z.string(),
    delivery_id: count().describe("the delivery record it repeats"),
    webhook_id: z.string().describe("the same `webhook-id` as before"),
    event: WebhookEvent,
    first_attempt: count().describe("the `attempt` number its first try will be listed with"),
  }),
  "A webhook queued to be sent again; its attempts appear in GET /v1/jobs/{id}/deliveries.",
);

export const WebhookDeliveryList = component(
  "WebhookDeliveryList",
  z.object({ object: z.literal("list"), data: z.array(WebhookDelivery) }),
  "Delivery attempts of a job's webhooks, oldest first.",
);

// ---------------------------------------------------------------------------------------
// Admin

const CREATE_KEY_MESSAGE = 'body must be JSON like {"name": "..."} (name up to 100 characters)';

/** What POST /v1/admin/keys validates its JSON body with. */
export const CreateKeyRequest = component(
  "CreateKeyRequest",
  z.object(
    {
      name: z
        .string({ error: () => CREATE_KEY_MESSAGE })
        .max(100, CREATE_KEY_MESSAGE)
        .optional()
        .describe('a label for the key (default "unnamed")'),
    },
    { error: () => CREATE_KEY_MESSAGE },
  ),
  "Optional JSON body of POST /v1/admin/keys.",
);

export const CreatedKey = component(
  "CreatedKey",
  z.object({
    id: z.string().describe("`key_...`"),
    name: z.string(),
    key: z.string().describe("`fcn_...`: shown once, only its hash is stored"),
    webhook_secret: z.string().describe("`whsec_...`: verifies this key's webhooks (Standard Webhooks)"),
    created_at: timestamp(),
  }),
  "A new API key.",
);

export const KeySummary = component(
  "KeySummary",
  z.object({
    id: z.string(),
    name: z.string(),
    key_prefix: z.string().describe("the first 10 characters of the key"),
    created_at: timestamp(),
    revoked_at: timestamp().nullable(),
  }),
  "An API key without its secret parts.",
);

export const KeyList = component(
  "KeyList",
  z.object({ object: z.literal("list"), data: z.array(KeySummary) }),
  "All keys, newest first.",
);

export const RevokedKey = component(
  "RevokedKey",
  z.object({ id: z.string(), revoked: z.literal(true) }),
  "The key is revoked.",
);

export const DemoKey = component(
  "DemoKey",
  z.object({ key: z.string() }),
  "A fresh API key for the demo page (development only).",
);

// ---------------------------------------------------------------------------------------
// Internal (GPU tier) and webhooks

// The callback's schemas live in protocol/ (the edge validates callbacks with them); the
// document registers those same instances.
export const JobResultSummary = registered("JobResultSummary", jobResultSummarySchema);

export const JobCallback = registered("JobCallback", jobCallbackSchema);

export const CallbackAck = component("CallbackAck", z.object({ ok: z.literal(true) }), "Applied.");

export const OutputUploadCreated = component(
  "OutputUploadCreated",
  z.object({ upload_id: z.string().describe("names the upload in its later requests") }),
  "A multipart output upload has started.",
);

export const OutputUploadPart = component(
  "OutputUploadPart",
  z.object({ part_number: z.number().int().min(1).max(MAX_OUTPUT_PARTS), etag: z.string() }),
  "A stored part: list it when completing the upload.",
);

export const OutputUploadComplete = component(
  "OutputUploadComplete",
  z.object({ parts: z.array(OutputUploadPart).min(1).max(MAX_OUTPUT_PARTS) }),
  "Every part of the upload, in order.",
);

// ---------------------------------------------------------------------------------------
// Batches

const BatchWebhookEvent = z.enum(BATCH_WEBHOOK_EVENTS);

/** The multipart body of POST /v1/batches: the shared options plus `image` repeated. */
export const BatchCreateForm = component(
  "BatchCreateForm",
  batchOptionFields.extend({
    image: z
      .array(imageFile(JOB_LIMITS))
      .min(1)
      .max(MAX_BATCH_ITEMS)
      .describe(`the images, in order: the field \`image\` repeated, 1 to ${MAX_BATCH_ITEMS} times`),
  }),
  "multipart/form-data fields of POST /v1/batches. The options apply to every item; unknown fields are refused.",
);

export const BatchCreateJson = component(
  "BatchCreateJson",
  z.strictObject({
    images: z
      .array(z.strictObject({ image_url: imageUrl() }))
      .min(1)
      .max(MAX_BATCH_ITEMS)
      .describe("the images by URL, in order"),
    ...jsonOptions,
    webhook_events: z
      .union([z.array(BatchWebhookEvent), z.string()])
      .optional()
      .describe("as the form field, or an array (default: batch.completed)"),
  }),
  "application/json body of POST /v1/batches: the images by URL, with options shared by every item.",
);

export const Batch = component(
  "Batch",
  z.object({
    id: z.string().describe("`batch_...`"),
    object: z.literal("batch"),
    status: z.enum(["running", "completed"]).describe("`running` until every item's job has ended"),
    size: z.number().int().positive().describe("how many images were submitted"),
    counts: z
      .object({ queued: count(), running: count(), succeeded: count(), failed: count(), canceled: count() })
      .describe("items per job status"),
    items: z
      .array(
        z.object({
          index: count().describe("position in the submission, from 0"),
          job_id: z.string().describe("the item's job (GET /v1/jobs/{id} for all of it)"),
          status: JobStatus,
          result: Job.shape.result,
          expires_at: Job.shape.expires_at,
        }),
      )
      .describe("in submission order"),
    webhook: z.object({ url: z.string(), events: z.array(BatchWebhookEvent) }).nullable(),
    created_at: timestamp(),
    completed_at: timestamp().nullable().describe("when the last item ended (batch.completed was sent)"),
    expires_at: timestamp()
      .nullable()
      .describe(
        "when the last item's stored data is deleted (each item's own time is in `items`); null while running",
      ),
  }),
  "A batch of jobs with shared options (also the `data` of batch.completed).",
);

export const BatchWebhookPayload = component(
  "BatchWebhookPayload",
  z.object({ type: z.literal("batch.completed"), timestamp: timestamp(), data: Batch }),
  "The body of a batch.completed delivery.",
);

export const BatchIdPath = z.object({ id: z.string().describe("the batch's id (`batch_...`)") });

export const WebhookPayload = component(
  "WebhookPayload",
  z.object({
    type: WebhookEvent,
    timestamp: timestamp(),
    data: Job,
  }),
  "The body of a webhook delivery.",
);

// ---------------------------------------------------------------------------------------
// Parameters (path, query, headers): the routes validate with these. Query values and
// headers arrive as strings; their error messages are the API's.

export const PreviewQuery = z.object({
  format: z
    .enum(["png", "json"], { error: () => 'format must be "png" or "json"' })
    .default("png")
    .describe("`png`: the mask as a palette PNG; `json`: class fractions and timings"),
});

export const JobIdPath = z.object({ id: z.string().describe("the job's id (`job_...`)") });
/** An output's path: any name reaches the route, which answers 404 for an unknown one. */
export const OutputNamePath = JobIdPath.extend({
  name: z.string().openapi({ enum: [...JOB_OUTPUTS], description: "which output" }),
});
/** A delivery's path: any id reaches the route, which answers 404 for an unknown one. */
export const DeliveryPath = JobIdPath.extend({
  delivery_id: z.string().describe("the `id` of an entry of GET /v1/jobs/{id}/deliveries"),
});
export const KeyIdPath = z.object({ id: z.string().describe("the key's id (`key_...`)") });

const LIMIT_MESSAGE = "limit must be an integer from 1 to 100";
export const JobListQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, LIMIT_MESSAGE)
    .transform(Number)
    .pipe(z.number().int().min(1, LIMIT_MESSAGE).max(100, LIMIT_MESSAGE))
    .optional()
    .openapi({ type: "integer", minimum: 1, maximum: 100, default: 20, description: "page size" }),
  cursor: z.string().optional().describe("`next_cursor` of the previous page"),
});

export const JobCreateHeaders = z.object({
  "idempotency-key": z
    .string()
    .min(1, "Idempotency-Key must be 1 to 255 characters")
    .max(255, "Idempotency-Key must be 1 to 255 characters")
    .optional()
    .describe(
      "Retry-safe submission: the same key with the same request answers the first job " +
        "(with `Idempotent-Replayed: true`); with a different request, 409 idempotency_conflict.",
    ),
  prefer: z
    .string()
    .optional()
    .describe(
      `RFC 7240. \`wait=N\` (N = 1..${MAX_PREFER_WAIT_S}): hold the answer until the job ends or N seconds ` +
        "pass: 200 with the ended job, else 202; either way with `Preference-Applied: wait=N`. " +
        "A malformed preference is ignored.",
    )
    .openapi({ example: "wait=10" }),
  "cancel-after": cancelAfterSeconds("Cancel-After")
    .optional()
    .describe(
      `Seconds (1..${MAX_CANCEL_AFTER_S}) the job may take from now: not finished by then, it is canceled ` +
        "(`error.code` `deadline_exceeded`); queued work never starts, running work stops at its next " +
        "stage or tile. The same as the form field `deadline_s` (give one of them).",
    )
    .openapi({ type: "integer", minimum: 1, maximum: MAX_CANCEL_AFTER_S, example: 300 }),
});

/** What a signed URL carries; the route's middleware checks it before anything else. */
export const SignedUrlQuery = z.object({
  exp: z.string().openapi({ type: "integer", description: "expiry, unix seconds" }),
  sig: z.string().describe('hex HMAC-SHA256 of "METHOD path exp"'),
});

/** The output's signed URL (signed for PUT) with the request's part of a multipart upload. */
export const OutputPartQuery = SignedUrlQuery.extend({
  upload_id: z.string().optional().describe("the upload (absent: the whole output in one body)"),
  // Checked by the upload code, whose messages the GPU tier logs.
  part_number: z
    .string()
    .optional()
    .openapi({ type: "integer", minimum: 1, maximum: MAX_OUTPUT_PARTS, description: "with upload_id" }),
});
export const OutputUploadQuery = SignedUrlQuery.extend({
  uploads: z.string().optional().describe("present: start an upload"),
  upload_id: z.string().optional().describe("present: complete this upload"),
});
export const OutputAbortQuery = SignedUrlQuery.extend({
  // Optional here: without it the route answers 404, as it always has.
  upload_id: z.string().optional().describe("the upload to abort (required)"),
});

/** Optional to the validator: a missing signature header is a 401, answered by the route. */
export const CallbackHeaders = z.object({
  "webhook-id": z.string().optional().describe("unique per callback; a reused id is refused as a replay"),
  "webhook-timestamp": z
    .string()
    .optional()
    .openapi({ type: "integer", description: "unix seconds; must be within 300 s of the edge's clock" }),
  "webhook-signature": z
    .string()
    .optional()
    .describe(
      '`v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with CALLBACK_SECRET (Standard Webhooks)',
    ),
});

export const WebhookHeaders = z.object({
  "webhook-id": z
    .string()
    .describe("`msg_<job id>_<succeeded|failed>`: stable across retries, to deduplicate"),
  "webhook-timestamp": z.number().int().describe("unix seconds"),
  "webhook-signature": z
    .string()
    .describe(
      '`v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the key\'s secret',
    ),
});
