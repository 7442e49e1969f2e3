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

export type JobMode = "learned" | "shift-and-stitch";
/** `high`: test-time augmentation (mirror and three scales averaged), about 6x the inference. */
export type JobQuality = "standard" | "high";
/** `mask` is always produced; `probabilities` on request (uint8 per class and pixel). */
export type JobOutputName = "mask" | "probabilities";

export interface JobMessage {
  version: typeof JOB_MESSAGE_VERSION;
  job_id: string;
  mode: JobMode;
  /** absent in messages from before it existed: standard */
  quality?: JobQuality;
  input: { url: string; content_type: string; bytes: number };
  /** PUT targets, one per requested output */
  outputs: Partial<Record<JobOutputName, { url: string; content_type: string }>>;
  callback: { url: string };
  /** ISO time the job was accepted (queue wait is measured from it) */
  created_at: string;
  /** ISO time after which the signed URLs stop working */
  expires_at: string;
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
      .array(z.enum(["mask", "probabilities"]))
      .max(2)
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
const jobId = z.string().min(1).max(100);

/**
 * The GPU tier's signed report on a job. The edge parses every callback with this schema
 * after checking its signature: a signed body of the wrong shape is a 400, never a crash.
 */
export const jobCallbackSchema = z
  .discriminatedUnion("status", [
    z.object({ job_id: jobId, status: z.literal("running"), attempt }),
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

/** Content of the probabilities output: uint8 (C, H, W), value = round(255 * p). */
export const PROBABILITIES_CONTENT_TYPE = "application/vnd.fcn.probabilities+uint8";

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

/** Narrow an unknown JSON value to a JobMessage, or say what is wrong. */
export function parseJobMessage(value: unknown): JobMessage {
  const v = value as Partial<JobMessage> | null;
  const fail = (what: string): never => {
    throw new Error(`invalid job message: ${what}`);
  };
  if (!v || typeof v !== "object") fail("not an object");
  if (v!.version !== JOB_MESSAGE_VERSION) fail(`version must be ${JOB_MESSAGE_VERSION}`);
  if (typeof v!.job_id !== "string" || !v!.job_id) fail("job_id");
  if (v!.mode !== "learned" && v!.mode !== "shift-and-stitch") fail("mode");
  if (v!.quality !== undefined && v!.quality !== "standard" && v!.quality !== "high") fail("quality");
  if (typeof v!.input?.url !== "string") fail("input.url");
  if (typeof v!.outputs?.mask?.url !== "string") fail("outputs.mask.url");
  if (typeof v!.callback?.url !== "string") fail("callback.url");
  const origin = messageOrigin(v as JobMessage);
  if (!origin) fail("every URL must be http(s) on one origin (the edge's)");
  return v as JobMessage;
}

/**
 * The one origin every URL of a job message points at (the edge's public origin), or
 * undefined when they are not all http(s) URLs on a single origin.
 */
export function messageOrigin(message: JobMessage): string | undefined {
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
