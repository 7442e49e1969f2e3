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

export interface JobResultSummary {
  model: string;
  width: number;
  height: number;
  /** share of pixels per class id */
  class_fractions: number[];
  /** which outputs were written */
  outputs: JobOutputName[];
  timings_ms: {
    queue_wait: number;
    download: number;
    decode: number;
    inference: number;
    upload: number;
    total: number;
  };
  provider: "cuda" | "cpu";
}

export type JobCallback =
  | { job_id: string; status: "running"; attempt: number }
  | { job_id: string; status: "succeeded"; attempt: number; result: JobResultSummary }
  | { job_id: string; status: "failed"; attempt: number; error: { code: string; message: string } };

/** Headers of a signed callback (see protocol/hmac.ts). */
export const CALLBACK_SIGNATURE_HEADER = "x-fcn-signature";
export const CALLBACK_TIMESTAMP_HEADER = "x-fcn-timestamp";
export const CALLBACK_ID_HEADER = "x-fcn-callback-id";
/** A callback older (or newer) than this is refused as a replay. */
export const CALLBACK_TOLERANCE_SECONDS = 300;

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
  return v as JobMessage;
}
