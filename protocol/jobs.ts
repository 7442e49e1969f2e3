/**
 * The contract between the edge (worker/) and the GPU tier (gpu-service/): the SQS job
 * message and the completion callback. One definition, imported by both sides.
 *
 * Flow: the Worker stores the input in R2, writes the job row in D1, and sends a JobMessage
 * to SQS. The GPU service reads the input through `input.url`, writes each output with PUT
 * to `outputs[name].url`, then POSTs a signed JobCallback to `callback.url`. All URLs are
 * short-lived and signed by the Worker for this one job: the GPU tier holds no storage
 * credentials of the edge.
 */
import { z } from "zod";

export const JOB_MESSAGE_VERSION = 1;

export const JOB_MODES = ["learned", "shift-and-stitch"] as const;
export const jobModeSchema = z.enum(JOB_MODES);
export type JobMode = z.infer<typeof jobModeSchema>;

/**
 * `high`: test-time augmentation (mirror and three scales averaged), about 6x the inference,
 * times the number of models where the GPU tier runs an ensemble (ENSEMBLE_MODEL_PATHS).
 */
export const JOB_QUALITIES = ["standard", "high"] as const;
export const jobQualitySchema = z.enum(JOB_QUALITIES);
export type JobQuality = z.infer<typeof jobQualitySchema>;

/**
 * `mask` is always produced; the others on request: `probabilities` (uint8 per class and
 * pixel), `rle` (COCO run-length encoding per class, models/runtime/rle.ts) and `overlay`
 * (a JPEG of the image blended with the class colours, models/runtime/overlay.ts).
 */
export const JOB_OUTPUT_NAMES = ["mask", "probabilities", "rle", "overlay"] as const;
export const jobOutputNameSchema = z.enum(JOB_OUTPUT_NAMES);
export type JobOutputName = z.infer<typeof jobOutputNameSchema>;

/** Content of the probabilities output: uint8 (C, H, W), value = round(255 * p). */
export const PROBABILITIES_CONTENT_TYPE = "application/vnd.fcn.probabilities+uint8";

/** Content of the rle output: `{ size: [H, W], classes: [{ id, name, counts }] }`. */
export const RLE_CONTENT_TYPE = "application/json";

/** The content type of each output: the mask is an 8-bit palette PNG (pixel value = class id). */
export const OUTPUT_CONTENT_TYPES = {
  mask: "image/png",
  probabilities: PROBABILITIES_CONTENT_TYPE,
  rle: RLE_CONTENT_TYPE,
  overlay: "image/jpeg",
} as const satisfies Record<JobOutputName, string>;

const jobId = z.string().min(1).max(100);
/** Checked as a whole below: every URL http(s), all on one origin. */
const urlText = z.string().min(1);
const isoTime = z.iso.datetime({ offset: true });
/** Where the GPU tier PUTs one output, with the one content type that output has. */
const outputTarget = <N extends JobOutputName>(name: N) =>
  z.object({ url: urlText, content_type: z.literal(OUTPUT_CONTENT_TYPES[name]) });

/**
 * The SQS message for one job. The edge parses what it builds before sending it and the GPU
 * tier parses what it receives: a message that does not parse is never worked on (it goes to
 * the dead-letter queue, with the reason logged).
 */
export const jobMessageSchema = z
  .object({
    version: z.literal(JOB_MESSAGE_VERSION),
    job_id: jobId,
    mode: jobModeSchema,
    /** absent in messages from before it existed: standard */
    quality: jobQualitySchema.optional(),
    input: z.object({ url: urlText, content_type: z.string().min(1), bytes: z.number().int().nonnegative() }),
    /** PUT targets, one per requested output; the mask is always requested */
    outputs: z.object({
      mask: outputTarget("mask"),
      probabilities: outputTarget("probabilities").optional(),
      rle: outputTarget("rle").optional(),
      overlay: outputTarget("overlay").optional(),
    }),
    callback: z.object({ url: urlText }),
    /** when the job was accepted (queue wait is measured from it) */
    created_at: isoTime,
    /** after this the signed URLs stop working */
    expires_at: isoTime,
    /**
     * the client's deadline (Cancel-After): not to be started after it, and stopped at the next
     * stage or tile when it passes mid-job; the edge cancels the job then
     */
    cancel_after_at: isoTime.optional(),
  })
  .refine((message) => messageOrigin(message) !== undefined, {
    message: "every URL must be http(s) on one origin (the edge's)",
  });
export type JobMessage = z.infer<typeof jobMessageSchema>;

/** One line naming every problem of a failed parse (`path: message; ...`), for logs and 400s. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`).join("; ");
}

/** Parse an unknown JSON value as a JobMessage, or throw saying every problem. */
export function parseJobMessage(value: unknown): JobMessage {
  const parsed = jobMessageSchema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid job message: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** What the GPU tier reports for a successful job. */
export const jobResultSummarySchema = z
  .object({
    model: z.string().min(1).max(200),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** share of pixels per class id */
    class_fractions: z.array(z.number().min(0).max(1)).max(1024),
    /** which outputs were written */
    outputs: z
      .array(jobOutputNameSchema)
      .max(JOB_OUTPUT_NAMES.length)
      .describe("outputs written; each must have been PUT first"),
    timings_ms: z.object({
      queue_wait: z.number().nonnegative(),
      download: z.number().nonnegative(),
      decode: z.number().nonnegative(),
      inference: z.number().nonnegative(),
      upload: z.number().nonnegative(),
      total: z.number().nonnegative(),
    }),
    provider: z.enum(["cuda", "cpu"]),
  })
  .describe("What the GPU tier reports for a successful job (protocol/jobs.ts).");
export type JobResultSummary = z.infer<typeof jobResultSummarySchema>;

const attempt = z.number().int().positive();

/**
 * The stages a running job reports, in the order they happen. A job's progress never goes
 * back to an earlier stage (the edge ignores such a report).
 */
export const PROGRESS_STAGES = ["downloading", "inferring", "encoding", "uploading"] as const;
export const progressStageSchema = z.enum(PROGRESS_STAGES);
export type ProgressStage = z.infer<typeof progressStageSchema>;

/**
 * Where a running job is: its stage, and `fraction`, the share of the whole job done (0..1,
 * over all stages, not within the stage), so that one number drives a progress bar.
 */
export const jobProgressSchema = z.object({
  stage: progressStageSchema,
  fraction: z.number().min(0).max(1),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

/**
 * The GPU tier's signed report on a job. The edge parses every callback with this schema
 * after checking its signature: a signed body of the wrong shape is a 400, never a crash.
 */
export const jobCallbackSchema = z
  .discriminatedUnion("status", [
    z.object({ job_id: jobId, status: z.literal("running"), attempt }),
    /** rate-limited by the GPU tier (a few per second at most); never moves a job backwards */
    z.object({ job_id: jobId, status: z.literal("progress"), attempt, ...jobProgressSchema.shape }),
    z.object({ job_id: jobId, status: z.literal("succeeded"), attempt, result: jobResultSummarySchema }),
    z.object({
      job_id: jobId,
      status: z.literal("failed"),
      attempt,
      error: z.object({ code: z.string().min(1).max(100), message: z.string().max(10_000) }),
    }),
  ])
  .describe("The GPU tier's report on a job (protocol/jobs.ts `JobCallback`).");
export type JobCallback = z.infer<typeof jobCallbackSchema>;

/**
 * Output uploads. Cloudflare refuses request bodies over 100 MB (Free and Pro plans) and the
 * probabilities of a 40 MP job are 440 MB, so an output larger than one part goes up as an
 * R2 multipart upload through the same signed URL, in the style of S3:
 *
 *     PUT    url                                 the whole output, at most OUTPUT_PART_BYTES
 *     POST   url&uploads                         -> { upload_id }
 *     PUT    url&upload_id=U&part_number=N       -> { part_number, etag }   (N = 1, 2, ...)
 *     POST   url&upload_id=U   { parts }         completes: the output exists from now on
 *     DELETE url&upload_id=U                     aborts
 *
 * Every body carries a Content-Length, so the edge streams it into storage without holding
 * it. Every part but the last has the same size (an R2 rule), at least 5 MiB.
 */
export const OUTPUT_PART_BYTES = 64 * 1024 * 1024;
/** R2's smallest part (all but the last). */
export const MIN_OUTPUT_PART_BYTES = 5 * 1024 * 1024;
/** Parts per output: 16 x 64 MiB = 1 GiB, over 11 classes x 40 MP = 440 MB of probabilities. */
export const MAX_OUTPUT_PARTS = 16;

/** A stored part, as the edge answers it and the completing request lists it. */
export interface UploadedPart {
  part_number: number;
  etag: string;
}

/**
 * The one origin every URL of a job message points at (the edge's public origin), or
 * undefined when they are not all http(s) URLs on a single origin.
 */
export function messageOrigin(message: {
  input: { url: string };
  callback: { url: string };
  outputs: Partial<Record<JobOutputName, { url: string }>>;
}): string | undefined {
  const urls = [
    message.input.url,
    message.callback.url,
    ...Object.values(message.outputs).map((o) => o?.url),
  ];
  const origins = new Set<string>();
  for (const raw of urls) {
    if (typeof raw !== "string" || !URL.canParse(raw)) return undefined;
    const url = new URL(raw);
    if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
    origins.add(url.origin);
  }
  return origins.size === 1 ? [...origins][0] : undefined;
}
