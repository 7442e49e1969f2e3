/**
 * The schemas of /v1/jobs: the submission's form, JSON body and headers, the job as its owner
 * sees it, and the paths and queries of the routes. The option fields themselves are declared
 * once in options.ts, which validates them; the form here extends them.
 */
import { z } from "@hono/zod-openapi";
import { IMAGE_TYPE_NAMES } from "../../models/runtime/image-info.ts";
import { JOB_LIMITS } from "../../models/runtime/limits.ts";
import { jobProgressSchema, PROGRESS_STAGES } from "../../protocol/jobs.ts";
import { WEBHOOK_EVENTS } from "../../protocol/webhook-events.ts";
import { component, count, imageFile, timestamp } from "../openapi/schemas.ts";
import { cancelAfterSeconds, JOB_MODES, JOB_OUTPUTS, JOB_QUALITIES, jobOptionFields } from "./options.ts";
import { MAX_CANCEL_AFTER_S } from "./state.ts";
import { MAX_PREFER_WAIT_S } from "./waiting.ts";

export const JobStatus = z
  .enum(["queued", "running", "succeeded", "failed", "canceled"])
  .describe(
    "queued -> running -> succeeded | failed. A job stuck in running past its deadline goes back to " +
      "queued (at most 3 starts); only queued jobs can be canceled, except by their own `Cancel-After`.",
  );
export const JobMode = z.enum(JOB_MODES);
export const JobOutputName = z.enum(JOB_OUTPUTS);
/** The events a job's webhook may be sent for (webhooks/schemas.ts names its deliveries with it). */
export const WebhookEvent = z.enum(WEBHOOK_EVENTS);

/** The multipart body of POST /v1/jobs: the validated option fields plus the image. */
export const JobCreateForm = component(
  "JobCreateForm",
  jobOptionFields.extend({ image: imageFile(JOB_LIMITS) }),
  "multipart/form-data fields of POST /v1/jobs. Unknown fields are refused with invalid_request.",
);

/** An image named by URL in a JSON body (batches/ names its items so). */
export const imageUrl = () =>
  z
    .string()
    .meta({ format: "uri", maxLength: 2048 })
    .describe(
      `Where the edge fetches the image (${IMAGE_TYPE_NAMES}, the same limits as an upload): https, a ` +
        "public address (private, link-local and loopback targets are refused with unsafe_image_url, " +
        "also behind a redirect); at most 3 redirects and 10 s.",
    );

/** The JSON options: as the form's fields, but lists may be arrays and deadline_s a number. */
export const jsonOptions = {
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

// Parameters (path, query, headers): the routes validate with these. Query values and headers
// arrive as strings; their error messages are the API's.

export const JobIdPath = z.object({ id: z.string().describe("the job's id (`job_...`)") });
/** An output's path: any name reaches the route, which answers 404 for an unknown one. */
export const OutputNamePath = JobIdPath.extend({
  name: z.string().openapi({ enum: [...JOB_OUTPUTS], description: "which output" }),
});
/** A delivery's path: any id reaches the route, which answers 404 for an unknown one. */
export const DeliveryPath = JobIdPath.extend({
  delivery_id: z.string().describe("the `id` of an entry of GET /v1/jobs/{id}/deliveries"),
});

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
