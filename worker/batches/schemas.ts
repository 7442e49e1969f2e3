/** The schemas of /v1/batches: the submission's form, JSON body and headers, and the batch. */
import { z } from "@hono/zod-openapi";
import { JOB_LIMITS } from "../../models/runtime/limits.ts";
import { BATCH_WEBHOOK_EVENTS } from "../../protocol/webhook-events.ts";
import { batchOptionFields } from "../jobs/options.ts";
import { imageUrl, Job, JobCreateHeaders, JobStatus, jsonOptions } from "../jobs/schemas.ts";
import { component, count, imageFile, timestamp } from "../openapi/schemas.ts";
import { WebhookDelivery } from "../webhooks/schemas.ts";
import { MAX_BATCH_ITEMS } from "./limits.ts";

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

/** A job's Idempotency-Key and Cancel-After, for the whole batch (Prefer: wait is a job's only). */
export const BatchCreateHeaders = JobCreateHeaders.pick({
  "idempotency-key": true,
  "cancel-after": true,
}).extend({
  "idempotency-key": JobCreateHeaders.shape["idempotency-key"].describe(
    "Retry-safe submission of the whole batch: the same key with the same images and options answers the " +
      "first batch (with `Idempotent-Replayed: true`), finishing its acceptance if that was cut short; " +
      "with a different request, 409 idempotency_conflict.",
  ),
  "cancel-after": JobCreateHeaders.shape["cancel-after"].describe(
    "Seconds every item's job may take from now (as for a job); the same as the field `deadline_s`.",
  ),
});

export const BatchIdPath = z.object({ id: z.string().describe("the batch's id (`batch_...`)") });

export const BatchDeliveryList = component(
  "BatchDeliveryList",
  z.object({
    object: z.literal("list"),
    data: z.array(WebhookDelivery.omit({ event: true }).extend({ event: z.literal("batch.completed") })),
  }),
  "Delivery attempts of a batch's batch.completed webhook, oldest first (its items' job webhooks are listed on each job).",
);
