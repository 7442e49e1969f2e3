/**
 * The job pipeline: download the input, decode it, run the model, encode the outputs and
 * upload them, each a timed and logged stage. It returns the result summary for the
 * `succeeded` callback and knows nothing of the queue; a failure is thrown for the
 * failure policy to judge.
 */
import { decodeImage, type Rgba, upright } from "../models/runtime/decode.ts";
import type { ImageLimits } from "../models/runtime/image-info.ts";
import { encodeJpeg } from "../models/runtime/node.ts";
import { blendOverlay } from "../models/runtime/overlay.ts";
import { encodePalettePng } from "../models/runtime/png.ts";
import { encodeRle } from "../models/runtime/rle.ts";
import {
  JOB_OUTPUT_NAMES,
  type JobMessage,
  type JobOutputName,
  type JobResultSummary,
} from "../protocol/jobs.ts";
import { type EdgeClient, EdgeError } from "./edge-client.ts";
import type { InferenceQueue, Prediction } from "./inference.ts";
import { describeError, type Logger } from "./log.ts";
import { ProgressReporter } from "./progress.ts";

export type JobStage = "download" | "decode" | "inference" | "upload" | "callback" | "delete";

export interface PipelineOptions {
  edge: EdgeClient;
  inference: InferenceQueue;
  log: Logger;
  limits: ImageLimits;
  /** awaited before each stage of every job; tests use it to slow or block a job */
  beforeStage?: (stage: JobStage, jobId: string) => Promise<void> | void;
  /** at most one progress report per this many ms (default PROGRESS_MIN_INTERVAL_MS) */
  progressIntervalMs?: number;
}

/** One job being worked on. */
export interface JobContext {
  jobId: string;
  attempt: number;
  /** aborted when the message was given up: nothing more may be done */
  signal: AbortSignal;
  /** performance.now() at receipt */
  received: number;
  queueWaitMs: number;
  /** the client's deadline (ms since the epoch, from `cancel_after_at`): no work after it */
  cancelAfter?: number;
}

/** Thrown inside a job when its message was given up: nothing more may be done. */
export class Abandoned extends Error {}

/** Thrown when a job's Cancel-After passed: reported, never retried; the edge cancels it. */
export class DeadlineExceeded extends Error {
  readonly code = "deadline_exceeded";
}

/** Throw DeadlineExceeded once the job's deadline has passed. */
export function checkDeadline(job: Pick<JobContext, "cancelAfter">, where: string): void {
  if (job.cancelAfter !== undefined && Date.now() >= job.cancelAfter)
    throw new DeadlineExceeded(`the job's Cancel-After passed before ${where}`);
}

type Timings = Partial<Record<JobStage, number>>;

/** Run one stage: the test hook, the work, a log line with its duration. */
export async function stage<T>(
  o: PipelineOptions,
  job: JobContext,
  name: JobStage,
  work: () => Promise<T>,
  timings?: Timings,
): Promise<T> {
  await o.beforeStage?.(name, job.jobId);
  if (job.signal.aborted) throw new Abandoned(name);
  // Work the client no longer wants is not started; the callback is what tells the edge.
  if (name !== "callback" && name !== "delete") checkDeadline(job, name);
  const started = performance.now();
  const result = await work();
  const ms = Math.round(performance.now() - started);
  if (timings) timings[name] = ms;
  const extra =
    name === "inference"
      ? {
          batch: (result as Prediction).batchSize,
          tiles: (result as Prediction).tiles,
          provider: o.inference.model.provider,
        }
      : {};
  o.log.info("stage", { job_id: job.jobId, stage: name, ms, ...extra });
  if (job.signal.aborted) throw new Abandoned(name);
  return result;
}

/**
 * download -> decode -> inference -> upload, reporting progress on the way; returns the
 * callback's result summary.
 */
export async function runPipeline(
  o: PipelineOptions,
  message: JobMessage,
  job: JobContext,
): Promise<JobResultSummary> {
  const { edge } = o;
  const { jobId, signal } = job;
  checkDeadline(job, "it started"); // queued past its deadline: never runs, not even `running`
  const progress = new ProgressReporter(
    (p) =>
      edge.postCallback(
        message.callback.url,
        { job_id: jobId, status: "progress", attempt: job.attempt, ...p },
        signal,
      ),
    {
      minIntervalMs: o.progressIntervalMs,
      onError: (error) => {
        if (!signal.aborted)
          o.log.debug("progress callback failed", { job_id: jobId, error: describeError(error) });
      },
    },
  );
  try {
    return await run(o, message, job, progress);
  } finally {
    progress.close(); // nothing reported after the job's work is over
  }
}

async function run(
  o: PipelineOptions,
  message: JobMessage,
  job: JobContext,
  progress: ProgressReporter,
): Promise<JobResultSummary> {
  const { edge, inference } = o;
  const { jobId, signal } = job;
  const timings = { queue_wait: job.queueWaitMs, download: 0, decode: 0, inference: 0, upload: 0, total: 0 };
  // `running` is best effort, sent while the input downloads, except that its 409 means
  // another attempt already finished the job: then nothing else is worth doing. The edge takes
  // progress only from a running job, so the first report follows it.
  const running = edge
    .postCallback(message.callback.url, { job_id: jobId, status: "running", attempt: job.attempt }, signal)
    .then(
      () => {
        progress.report("downloading");
        return undefined;
      },
      (error: unknown) => error,
    );
  const bytes = await stage(o, job, "download", () => edge.getInput(message.input.url, signal), timings);
  const runningError = await running;
  if (runningError instanceof EdgeError && runningError.kind === "done") throw runningError;
  if (runningError && !signal.aborted) {
    o.log.debug("running callback failed", { job_id: jobId, error: describeError(runningError) });
  }

  progress.report("downloading", 1);
  const image = await stage(o, job, "decode", () => decodeImage(bytes, o.limits).then(upright), timings);
  progress.report("inferring");
  const wanted = JOB_OUTPUT_NAMES.filter((name) => message.outputs[name] !== undefined);
  const prediction = await stage(
    o,
    job,
    "inference",
    () =>
      inference.predict({
        image,
        mode: message.mode,
        quality: message.quality ?? "standard",
        probabilities: wanted.includes("probabilities"),
        // before each tile or group of shifts: tile k of n, shift k of 64
        checkpoint: (done, total) => {
          checkDeadline(job, "the next tile");
          progress.report("inferring", done, total);
        },
      }),
    timings,
  );

  await stage(
    o,
    job,
    "upload",
    () => upload(o, message, wanted, image, prediction, progress, signal),
    timings,
  );
  timings.total = Math.round(job.queueWaitMs + performance.now() - job.received);
  return {
    model: inference.model.meta.id,
    width: prediction.width,
    height: prediction.height,
    class_fractions: prediction.classFractions,
    outputs: wanted,
    timings_ms: timings,
    provider: inference.model.provider,
  };
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** Encode each wanted output and PUT it to its signed URL, with its contract content type. */
async function upload(
  o: PipelineOptions,
  message: JobMessage,
  wanted: JobOutputName[],
  image: Rgba,
  prediction: Prediction,
  progress: ProgressReporter,
  signal: AbortSignal,
): Promise<void> {
  const { classes } = o.inference.model.meta;
  const palette = classes.map((c) => c.color);
  const names = classes.map((c) => c.name);
  const { labels, width, height } = prediction;
  const bodies: Record<JobOutputName, () => Promise<Uint8Array>> = {
    mask: () => encodePalettePng(labels, width, height, palette),
    probabilities: async () => prediction.probabilities ?? new Uint8Array(),
    rle: async () => json(encodeRle(labels, width, height, names)),
    // The upright image: labels are at its displayed size (EXIF orientation applied).
    overlay: () => encodeJpeg(blendOverlay(image, labels, palette)),
  };
  // Every output encoded, then every output uploaded: two stages a client can tell apart.
  let encoded = 0;
  progress.report("encoding", 0, wanted.length);
  const encodedBodies = await Promise.all(
    wanted.map(async (name) => {
      const body = await bodies[name]();
      progress.report("encoding", ++encoded, wanted.length);
      return body;
    }),
  );
  let uploaded = 0;
  progress.report("uploading", 0, wanted.length);
  await Promise.all(
    wanted.map(async (name, i) => {
      const target = message.outputs[name];
      if (!target) return;
      await o.edge.putOutput(target.url, target.content_type, encodedBodies[i], signal);
      progress.report("uploading", ++uploaded, wanted.length);
    }),
  );
}
