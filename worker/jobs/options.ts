/**
 * Validation of the option fields of POST /v1/jobs (pure, tested without HTTP). The zod
 * schema below is what validates them and what the OpenAPI document describes.
 */
import { z } from "zod";
import { InputError } from "../../models/runtime/errors.ts";
import {
  JOB_MODES,
  JOB_OUTPUT_NAMES,
  JOB_QUALITIES,
  type JobMode,
  type JobOutputName,
  type JobQuality,
} from "../../protocol/jobs.ts";
import {
  BATCH_WEBHOOK_EVENTS,
  type BatchWebhookEvent,
  DEFAULT_WEBHOOK_EVENTS,
  WEBHOOK_EVENTS,
  type WebhookEvent,
} from "../../protocol/webhook-events.ts";
import { MAX_CANCEL_AFTER_S } from "./state.ts";

export interface JobOptions {
  mode: JobMode;
  quality: JobQuality;
  outputs: JobOutputName[];
  webhookUrl: string | null;
  webhookEvents: WebhookEvent[];
  /**
   * Cancel-After / deadline_s: seconds from acceptance. Absent, not null, without one: the
   * options are part of the Idempotency-Key's request hash, which must not change for old requests.
   */
  cancelAfterS?: number;
}

export { JOB_MODES, JOB_QUALITIES };
export const JOB_OUTPUTS = JOB_OUTPUT_NAMES;
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** The option fields that hold lists: a multipart form may repeat them, each value counts. */
export const LIST_OPTION_FIELDS = ["outputs", "webhook_events"] as const;

/** Whole seconds 1..MAX_CANCEL_AFTER_S as text (a header or form field), parsed to a number. */
export const cancelAfterSeconds = (name: string) =>
  z
    .string()
    .regex(/^\s*\d{1,6}\s*$/, `${name} must be a whole number of seconds from 1 to ${MAX_CANCEL_AFTER_S}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, `${name} must be a whole number of seconds from 1 to ${MAX_CANCEL_AFTER_S}`)
        .max(MAX_CANCEL_AFTER_S, `${name} must be a whole number of seconds from 1 to ${MAX_CANCEL_AFTER_S}`),
    );

/** "a,b", "a b" or a JSON array of strings; an issue (and z.NEVER) when it is none of these. */
function list(field: string, raw: string, ctx: z.RefinementCtx): string[] {
  const text = raw.trim();
  if (text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: `${field} is not valid JSON` });
      return z.NEVER;
    }
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string")) {
      ctx.addIssue({ code: "custom", message: `${field} must be a list of strings` });
      return z.NEVER;
    }
    return parsed;
  }
  return text.split(/[\s,]+/).filter(Boolean);
}

const EVENTS_MESSAGE = `webhook_events may contain ${WEBHOOK_EVENTS.join(", ")}`;
const LIST_SYNTAX = 'comma- or space-separated ("a,b", "a b") or a JSON array of strings';

/**
 * The text fields of the multipart body besides `image`, as they arrive (strings), parsed to
 * their values. Unknown fields are refused.
 */
export const jobOptionFields = z.strictObject(
  {
    mode: z
      .enum(JOB_MODES, { error: () => `mode must be one of ${JOB_MODES.join(", ")}` })
      .default("learned")
      .describe(
        "`learned`: the network's learned upsampling (FCN-8s). `shift-and-stitch`: dense " +
          "predictions from the coarse scores of shifted inputs (several times slower).",
      ),
    quality: z
      .enum(JOB_QUALITIES, { error: () => `quality must be one of ${JOB_QUALITIES.join(", ")}` })
      .default("standard")
      .describe(
        "`standard`: one pass of the network. `high`: test-time augmentation, the image mirrored " +
          "and at three scales, scores averaged before the argmax (more accurate, about 6x the " +
          "inference time; see the model card), through every model of the GPU tier's ensemble " +
          "where one is configured (each model adds as much time again).",
      ),
    outputs: z
      .string()
      .optional()
      .transform((raw, ctx) => (raw ? list("outputs", raw, ctx) : []))
      .pipe(z.array(z.enum(JOB_OUTPUTS, { error: () => `outputs may contain ${JOB_OUTPUTS.join(", ")}` })))
      .transform((outputs) => [...new Set(["mask" as const, ...outputs])])
      .meta({
        description: `Outputs to produce, ${LIST_SYNTAX}, from: ${JOB_OUTPUTS.join(", ")}. \`mask\` is always produced (default: mask).`,
        examples: ["mask,probabilities"],
      }),
    webhook_events: z
      .string()
      .optional()
      .transform((raw, ctx) => (raw ? list("webhook_events", raw, ctx) : [...DEFAULT_WEBHOOK_EVENTS]))
      .pipe(
        z
          .array(z.enum(WEBHOOK_EVENTS, { error: () => EVENTS_MESSAGE }))
          .min(1, EVENTS_MESSAGE)
          .transform((events) => [...new Set(events)]),
      )
      .meta({
        description: `Events to deliver to \`webhook_url\`, ${LIST_SYNTAX}, from: ${WEBHOOK_EVENTS.join(", ")} (default: ${DEFAULT_WEBHOOK_EVENTS.join(", ")}).`,
        examples: ["job.succeeded"],
      }),
    webhook_url: z
      .string()
      .meta({ format: "uri", maxLength: MAX_WEBHOOK_URL_LENGTH })
      .optional()
      .transform((raw) => raw?.trim() || null)
      .pipe(z.string().max(MAX_WEBHOOK_URL_LENGTH, "webhook_url is too long").nullable())
      .describe(
        "Where to POST Standard Webhooks when the job ends (http or https; private and reserved " +
          `addresses are refused with invalid_webhook_url). At most ${MAX_WEBHOOK_URL_LENGTH} characters.`,
      ),
    deadline_s: cancelAfterSeconds("deadline_s")
      .optional()
      .meta({
        type: "integer",
        minimum: 1,
        maximum: MAX_CANCEL_AFTER_S,
        description: `The same as the \`Cancel-After\` header: seconds (1..${MAX_CANCEL_AFTER_S}) the job may take before it is canceled.`,
      }),
  },
  {
    error: (issue) => (issue.code === "unrecognized_keys" ? `unknown field "${issue.keys[0]}"` : undefined),
  },
);

/** Parse with `schema`, or throw invalid_request with the first issue's message. */
function parseFields<T extends z.ZodType>(schema: T, fields: Record<string, string>): z.output<T> {
  const parsed = schema.safeParse(fields);
  if (!parsed.success) {
    // Unknown fields are reported first, then the fields in the order of the schema.
    const issues = parsed.error.issues;
    const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
    throw new InputError("invalid_request", issue.message);
  }
  return parsed.data;
}

export function parseJobOptions(fields: Record<string, string>): JobOptions {
  const { mode, quality, outputs, webhook_url, webhook_events, deadline_s } = parseFields(
    jobOptionFields,
    fields,
  );
  return {
    mode,
    quality,
    outputs,
    webhookUrl: webhook_url,
    webhookEvents: webhook_events,
    ...(deadline_s === undefined ? {} : { cancelAfterS: deadline_s }),
  };
}

/**
 * The options of a JSON body (POST /v1/jobs or /v1/batches with `image_url`s) as the text
 * fields the multipart form carries, so that one schema validates both: strings stay, lists
 * of strings become JSON arrays, whole numbers become text. `skip` names the fields the route
 * reads itself (`image_url`, `images`).
 */
export function optionFieldsFromJson(body: Record<string, unknown>, skip: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (skip.includes(key) || value === undefined || value === null) continue;
    if (typeof value === "string") fields[key] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === "string"))
      fields[key] = JSON.stringify(value);
    else if (typeof value === "number" && Number.isInteger(value)) fields[key] = String(value);
    else
      throw new InputError("invalid_request", `${key} must be a string, a whole number or a list of strings`);
  }
  return fields;
}

const BATCH_EVENTS_MESSAGE = `webhook_events may contain ${BATCH_WEBHOOK_EVENTS.join(", ")}`;

/** The option fields of POST /v1/batches: a job's, shared by every item, with batch events. */
export const batchOptionFields = jobOptionFields.extend({
  webhook_events: z
    .string()
    .optional()
    .transform((raw, ctx) => (raw ? list("webhook_events", raw, ctx) : ["batch.completed"]))
    .pipe(
      z
        .array(z.enum(BATCH_WEBHOOK_EVENTS, { error: () => BATCH_EVENTS_MESSAGE }))
        .min(1, BATCH_EVENTS_MESSAGE)
        .transform((events) => [...new Set(events)]),
    )
    .meta({
      description:
        `Events to deliver to \`webhook_url\`, ${LIST_SYNTAX}, from: ${BATCH_WEBHOOK_EVENTS.join(", ")} ` +
        "(default: batch.completed). The job events are sent for each item.",
      examples: ["batch.completed,job.failed"],
    }),
});

export interface BatchOptions {
  /** what every item's job gets: its webhook only when job events were asked for */
  job: JobOptions;
  webhookUrl: string | null;
  webhookEvents: BatchWebhookEvent[];
}

export function parseBatchOptions(fields: Record<string, string>): BatchOptions {
  const { mode, quality, outputs, webhook_url, webhook_events, deadline_s } = parseFields(
    batchOptionFields,
    fields,
  );
  const jobEvents = webhook_events.filter((e): e is WebhookEvent => e !== "batch.completed");
  return {
    job: {
      mode,
      quality,
      outputs,
      webhookUrl: jobEvents.length > 0 ? webhook_url : null,
      webhookEvents: jobEvents.length > 0 ? jobEvents : [...WEBHOOK_EVENTS],
      ...(deadline_s === undefined ? {} : { cancelAfterS: deadline_s }),
    },
    webhookUrl: webhook_url,
    webhookEvents: webhook_events,
  };
}
