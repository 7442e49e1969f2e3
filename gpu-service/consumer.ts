/**
 * The SQS consumer: long-polls the job queue, runs each job (download -> decode -> inference
 * -> upload -> callback) and deletes its message only once the result is stored and the
 * callback accepted. Delivery is at least once, so everything here is safe to repeat:
 * outputs are deterministic and the edge answers 409 for a job that already finished.
 *
 * What happens to a message:
 *   succeeded, or the edge says the job is done (409)   -> deleted
 *   permanent input error (bad image, 4xx on the input) -> `failed` callback, deleted
 *   transient error (network, 5xx, model failure)       -> kept; visible again after a backoff
 *   unparseable body (poison)                           -> kept; redrive moves it to the DLQ
 *                                                          after the queue's maxReceiveCount
 *   service shutting down                               -> finished within the grace period,
 *                                                          or released (visible again at once)
 * While a job runs, a heartbeat extends the message's visibility timeout so no other
 * consumer receives it.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { decodeImage, upright } from "../models/runtime/decode.ts";
import { InputError } from "../models/runtime/errors.ts";
import type { ImageLimits } from "../models/runtime/image-info.ts";
import { FULL_LIMITS } from "../models/runtime/limits.ts";
import { encodePalettePng } from "../models/runtime/png.ts";
import {
  type JobCallback,
  type JobMessage,
  type JobOutputName,
  type JobResultSummary,
  parseJobMessage,
} from "../protocol/jobs.ts";
import { type EdgeClient, EdgeError } from "./edge-client.ts";
import type { InferenceQueue, Prediction } from "./inference.ts";
import { describeError, type Logger } from "./log.ts";
import type { JobOutcome, ServiceMetrics } from "./metrics.ts";

export type JobStage = "download" | "decode" | "inference" | "upload" | "callback" | "delete";

export interface ConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  inference: InferenceQueue;
  edge: EdgeClient;
  metrics: ServiceMetrics;
  log: Logger;
  /** messages worked on at once */
  concurrency: number;
  visibilityTimeoutSeconds: number;
  heartbeatSeconds: number;
  waitTimeSeconds: number;
  /** the queue's maxReceiveCount: the attempt that reaches it is the last before the DLQ */
  maxReceives: number;
  retryBackoffSeconds: number;
  limits?: ImageLimits;
  /** awaited before each stage of every job; tests use it to slow or block a job */
  beforeStage?: (stage: JobStage, jobId: string) => Promise<void> | void;
}

export type ConsumerState = "idle" | "running" | "draining" | "stopped";

/** One received message being worked on. */
interface ActiveJob {
  message: Message;
  receiptHandle: string;
  /** aborted when the consumer gives the message up (shutdown past the grace period) */
  abort: AbortController;
  heartbeat?: ReturnType<typeof setInterval>;
  done: Promise<void>;
}

/** Thrown inside a job when the consumer has given the message up: nothing more may be done. */
class Abandoned extends Error {}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export class JobConsumer {
  private readonly o: ConsumerOptions;
  private readonly limits: ImageLimits;
  private readonly active = new Set<ActiveJob>();
  private readonly pollAbort = new AbortController();
  private pollLoop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private capacityWaiters: (() => void)[] = [];
  private stateValue: ConsumerState = "idle";

  constructor(options: ConsumerOptions) {
    this.o = options;
    this.limits = options.limits ?? FULL_LIMITS;
  }

  get state(): ConsumerState {
    return this.stateValue;
  }

  /** Messages held right now. */
  get inFlight(): number {
    return this.active.size;
  }

  /** Start long polling. */
  start(): void {
    if (this.stateValue !== "idle") throw new Error(`the consumer is ${this.stateValue}`);
    this.stateValue = "running";
    this.o.metrics.up.set(1);
    this.pollLoop = this.poll();
    this.o.log.info("consumer started", {
      queue_url: this.o.queueUrl,
      concurrency: this.o.concurrency,
      visibility_timeout_s: this.o.visibilityTimeoutSeconds,
      heartbeat_s: this.o.heartbeatSeconds,
    });
  }

  /**
   * Stop taking jobs, let running ones finish for up to `graceMs`, then give the rest up:
   * released (visible again at once) by default, or left as they are with `release: false`,
   * which is what a crash looks like to the queue.
   */
  stop(options: { graceMs: number; release?: boolean } = { graceMs: 0 }): Promise<void> {
    this.stopping ??= this.drainAndStop(options.graceMs, options.release ?? true);
    return this.stopping;
  }

  private async drainAndStop(graceMs: number, release: boolean): Promise<void> {
    this.stateValue = "draining";
    this.o.metrics.up.set(0);
    this.pollAbort.abort();
    this.wakeCapacityWaiters();
    this.o.log.info("draining", { in_flight: this.active.size, grace_ms: graceMs });
    const all = () => Promise.all([...this.active].map((j) => j.done));
    const graceOver = new AbortController();
    const finished = await Promise.race([
      all().then(() => true),
      sleep(graceMs, graceOver.signal).then(() => false),
    ]);
    graceOver.abort();
    if (!finished) {
      const left = [...this.active];
      for (const job of left) {
        job.abort.abort();
        this.stopHeartbeat(job);
      }
      if (release) await Promise.all(left.map((job) => this.release(job.message, "shutdown", false)));
      this.o.log.warn("gave up jobs at shutdown", { jobs: left.length, released: release });
      // A job stuck in onnxruntime cannot be interrupted; it is abandoned, not awaited.
      await Promise.race([all(), sleep(1000)]);
    }
    await this.pollLoop;
    this.stateValue = "stopped";
    this.o.log.info("consumer stopped");
  }

  private async poll(): Promise<void> {
    const { sqs, queueUrl, log, metrics } = this.o;
    let failures = 0;
    while (this.stateValue === "running") {
      await this.waitForCapacity();
      if (this.stateValue !== "running") break;
      let messages: Message[];
      try {
        const response = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, this.o.concurrency - this.active.size),
            WaitTimeSeconds: this.o.waitTimeSeconds,
            VisibilityTimeout: this.o.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
          }),
          { abortSignal: this.pollAbort.signal },
        );
        messages = response.Messages ?? [];
        failures = 0;
      } catch (error) {
        if (this.stateValue !== "running") break;
        failures++;
        metrics.errors.inc({ kind: "receive" });
        log.error("receive failed", { error: describeError(error), failures });
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), this.pollAbort.signal);
        continue;
      }
      for (const message of messages) {
        if (this.stateValue === "running") this.begin(message);
        else void this.release(message, "received while draining");
      }
    }
  }

  private waitForCapacity(): Promise<void> {
    if (this.active.size < this.o.concurrency || this.stateValue !== "running") return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  private wakeCapacityWaiters(): void {
    const waiters = this.capacityWaiters;
    this.capacityWaiters = [];
    for (const wake of waiters) wake();
  }

  private begin(message: Message): void {
    const job: ActiveJob = {
      message,
      receiptHandle: message.ReceiptHandle ?? "",
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    this.active.add(job);
    this.o.metrics.inFlight.set(this.active.size);
    job.done = this.handle(job)
      .catch((error) => {
        // handle() deals with every expected failure; this is a bug, logged and kept for retry.
        this.o.metrics.errors.inc({ kind: "internal" });
        this.o.log.error("job handler failed", {
          message_id: message.MessageId,
          error: describeError(error),
        });
      })
      .finally(() => {
        this.stopHeartbeat(job);
        this.active.delete(job);
        this.o.metrics.inFlight.set(this.active.size);
        this.wakeCapacityWaiters();
      });
  }

  private async handle(job: ActiveJob): Promise<void> {
    const { log, metrics } = this.o;
    const received = performance.now();
    const attempt = Number(job.message.Attributes?.ApproximateReceiveCount ?? 1);
    let body: unknown;
    let message: JobMessage;
    try {
      body = JSON.parse(job.message.Body ?? "");
      message = parseJobMessage(body);
    } catch (error) {
      await this.poison(job, body, error, attempt);
      return;
    }
    const jobId = message.job_id;
    const createdAt = Date.parse(message.created_at);
    const queueWaitMs = Number.isFinite(createdAt) ? Math.max(0, Date.now() - createdAt) : 0;
    if (Number.isFinite(createdAt)) metrics.queueWaitSeconds.observe(queueWaitMs / 1000);
    log.info("job received", {
      job_id: jobId,
      attempt,
      mode: message.mode,
      quality: message.quality ?? "standard",
      queue_wait_ms: queueWaitMs,
    });

    const finish = (outcome: JobOutcome, fields: Record<string, unknown> = {}) => {
      const ms = performance.now() - received;
      metrics.jobs.inc({ outcome });
      metrics.jobSeconds.observe(ms / 1000);
      const level = outcome === "succeeded" || outcome === "already_completed" ? "info" : "warn";
      log[level]("job finished", { job_id: jobId, outcome, attempt, ms: Math.round(ms), ...fields });
    };

    if (Date.parse(message.expires_at) < Date.now()) {
      // The signed URLs no longer work; the callback (signed with CALLBACK_SECRET, not URL-signed) still does.
      const reported = await this.reportFailure(message, attempt, {
        code: "expired",
        message: "the job's signed URLs expired",
      });
      if (reported === "transient") {
        await this.retryLater(job, attempt);
        finish("retried");
        return;
      }
      await this.delete(job);
      finish("expired");
      return;
    }

    this.startHeartbeat(job, jobId);
    try {
      const result = await this.run(job, message, attempt, received, queueWaitMs);
      await this.stage(job, jobId, "callback", () =>
        this.o.edge.postCallback(
          message.callback.url,
          { job_id: jobId, status: "succeeded", attempt, result },
          job.abort.signal,
        ),
      );
      await this.stage(job, jobId, "delete", () => this.delete(job));
      finish("succeeded", { width: result.width, height: result.height });
    } catch (error) {
      if (job.abort.signal.aborted) {
        finish("released");
        return;
      }
      const outcome = await this.settleFailure(job, message, attempt, error);
      finish(outcome, { error: describeError(error) });
    }
  }

  /** download -> decode -> inference -> upload; returns the callback's result summary. */
  private async run(
    job: ActiveJob,
    message: JobMessage,
    attempt: number,
    received: number,
    queueWaitMs: number,
  ): Promise<JobResultSummary> {
    const { edge, inference } = this.o;
    const jobId = message.job_id;
    const signal = job.abort.signal;
    const timings = { queue_wait: queueWaitMs, download: 0, decode: 0, inference: 0, upload: 0, total: 0 };

    // `running` is best effort, sent while the input downloads, except that its 409 means
    // another attempt already finished the job: then nothing else is worth doing.
    const running = edge
      .postCallback(message.callback.url, { job_id: jobId, status: "running", attempt }, signal)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const bytes = await this.stage(
      job,
      jobId,
      "download",
      () => edge.getInput(message.input.url, signal),
      timings,
    );
    const runningError = await running;
    if (runningError instanceof EdgeError && runningError.kind === "done") throw runningError;
    if (runningError && !signal.aborted) {
      this.o.log.debug("running callback failed", { job_id: jobId, error: describeError(runningError) });
    }

    const image = await this.stage(
      job,
      jobId,
      "decode",
      () => decodeImage(bytes, this.limits).then(upright),
      timings,
    );
    const wanted: JobOutputName[] = ["mask"];
    if (message.outputs.probabilities) wanted.push("probabilities");
    const prediction = await this.stage(
      job,
      jobId,
      "inference",
      () =>
        inference.predict({
          image,
          mode: message.mode,
          quality: message.quality ?? "standard",
          probabilities: wanted.includes("probabilities"),
        }),
      timings,
    );

    await this.stage(job, jobId, "upload", () => this.upload(message, wanted, prediction, signal), timings);
    timings.total = Math.round(queueWaitMs + performance.now() - received);
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

  private async upload(
    message: JobMessage,
    wanted: JobOutputName[],
    prediction: Prediction,
    signal: AbortSignal,
  ): Promise<void> {
    const palette = this.o.inference.model.meta.classes.map((c) => c.color);
    const bodies: Record<JobOutputName, () => Promise<Uint8Array>> = {
      mask: () => encodePalettePng(prediction.labels, prediction.width, prediction.height, palette),
      probabilities: async () => prediction.probabilities ?? new Uint8Array(),
    };
    await Promise.all(
      wanted.map(async (name) => {
        const target = message.outputs[name];
        if (!target) return undefined;
        return this.o.edge.putOutput(target.url, target.content_type, await bodies[name](), signal);
      }),
    );
  }

  /** Run one stage: the test hook, the work, a log line with its duration. */
  private async stage<T>(
    job: ActiveJob,
    jobId: string,
    stage: JobStage,
    work: () => Promise<T>,
    timings?: Partial<Record<JobStage, number>>,
  ): Promise<T> {
    await this.o.beforeStage?.(stage, jobId);
    if (job.abort.signal.aborted) throw new Abandoned(stage);
    const started = performance.now();
    const result = await work();
    const ms = Math.round(performance.now() - started);
    if (timings) timings[stage] = ms;
    const extra =
      stage === "inference"
        ? {
            batch: (result as Prediction).batchSize,
            tiles: (result as Prediction).tiles,
            provider: this.o.inference.model.provider,
          }
        : {};
    this.o.log.info("stage", { job_id: jobId, stage, ms, ...extra });
    if (job.abort.signal.aborted) throw new Abandoned(stage);
    return result;
  }

  /** Decide what a failed job's message becomes; returns the outcome for metrics. */
  private async settleFailure(
    job: ActiveJob,
    message: JobMessage,
    attempt: number,
    error: unknown,
  ): Promise<JobOutcome> {
    const { metrics, log } = this.o;
    const jobId = message.job_id;
    if (error instanceof EdgeError && error.kind === "done") {
      // Another attempt already finished (or the job was canceled): the result stands.
      await this.deleteOrLog(job, jobId);
      return "already_completed";
    }
    const permanent = permanentFailure(error);
    if (permanent) {
      metrics.errors.inc({ kind: permanent.code });
      // The failure must be on record at the edge before the message goes.
      const reported = await this.reportFailure(message, attempt, permanent, job.abort.signal);
      if (reported === "transient") {
        await this.retryLater(job, attempt);
        return "retried";
      }
      await this.deleteOrLog(job, jobId);
      return reported === "gone" ? "gone" : "failed";
    }
    metrics.errors.inc({ kind: error instanceof EdgeError ? "edge" : "internal" });
    if (attempt >= this.o.maxReceives) {
      // The last attempt: tell the edge now; redrive moves the message to the DLQ for a look.
      log.error("giving up after the last attempt", { job_id: jobId, attempt, error: describeError(error) });
      await this.reportFailure(
        message,
        attempt,
        { code: "internal_error", message: "the job failed on every attempt" },
        job.abort.signal,
      );
    }
    await this.retryLater(job, attempt);
    return "retried";
  }

  /** A message that is not a valid job: it is kept so that redrive moves it to the DLQ. */
  private async poison(job: ActiveJob, body: unknown, error: unknown, attempt: number): Promise<void> {
    const { log, metrics } = this.o;
    metrics.errors.inc({ kind: "poison" });
    metrics.jobs.inc({ outcome: "poison" });
    const partial = body as { job_id?: unknown; callback?: { url?: unknown } } | undefined;
    const jobId = typeof partial?.job_id === "string" ? partial.job_id : undefined;
    const callbackUrl = typeof partial?.callback?.url === "string" ? partial.callback.url : undefined;
    log.error("invalid job message", {
      message_id: job.message.MessageId,
      job_id: jobId,
      attempt,
      max_receives: this.o.maxReceives,
      error: describeError(error),
    });
    if (jobId && callbackUrl) {
      const callback: JobCallback = {
        job_id: jobId,
        status: "failed",
        attempt,
        error: { code: "invalid_job", message: describeError(error) },
      };
      await this.o.edge.postCallback(callbackUrl, callback, job.abort.signal).catch(() => {});
    }
    // Visible again at once: it reaches maxReceiveCount (and the DLQ) without waiting out
    // a visibility timeout per receive.
    await this.changeVisibility(job.message, 0).catch(() => {});
  }

  /**
   * Post a `failed` callback. Returns "reported" when the edge took it (or already had a
   * final state), "gone" when the edge no longer knows the job, "transient" otherwise.
   */
  private async reportFailure(
    message: JobMessage,
    attempt: number,
    error: { code: string; message: string },
    signal?: AbortSignal,
  ): Promise<"reported" | "gone" | "transient"> {
    try {
      await this.o.edge.postCallback(
        message.callback.url,
        { job_id: message.job_id, status: "failed", attempt, error },
        signal,
      );
      return "reported";
    } catch (e) {
      if (e instanceof EdgeError && e.kind === "done") return "reported";
      this.o.log.warn("failed callback not delivered", { job_id: message.job_id, error: describeError(e) });
      if (e instanceof EdgeError && e.kind === "permanent" && e.status !== 401 && e.status !== 403)
        return "gone";
      return "transient";
    }
  }

  /** Leave the message for redelivery after a backoff that doubles per attempt. */
  private async retryLater(job: ActiveJob, attempt: number): Promise<void> {
    const backoff = Math.min(
      this.o.visibilityTimeoutSeconds,
      Math.round(this.o.retryBackoffSeconds * 2 ** Math.max(0, attempt - 1)),
    );
    this.stopHeartbeat(job);
    await this.changeVisibility(job.message, backoff).catch((error) => {
      this.o.log.warn("could not set the retry backoff", { error: describeError(error) });
    });
  }

  /** Make a message visible again at once; `count` unless its job records its own outcome. */
  private async release(message: Message, reason: string, count = true): Promise<void> {
    if (count) this.o.metrics.jobs.inc({ outcome: "released" });
    try {
      await this.changeVisibility(message, 0);
      this.o.log.info("message released", { message_id: message.MessageId, reason });
    } catch (error) {
      this.o.log.warn("could not release a message", {
        message_id: message.MessageId,
        error: describeError(error),
      });
    }
  }

  private startHeartbeat(job: ActiveJob, jobId: string): void {
    const everyMs = this.o.heartbeatSeconds * 1000;
    job.heartbeat = setInterval(() => {
      this.changeVisibility(job.message, this.o.visibilityTimeoutSeconds).then(
        () => this.o.log.debug("heartbeat", { job_id: jobId }),
        (error) => {
          this.o.metrics.errors.inc({ kind: "heartbeat" });
          this.o.log.warn("heartbeat failed", { job_id: jobId, error: describeError(error) });
        },
      );
    }, everyMs);
  }

  private stopHeartbeat(job: ActiveJob): void {
    if (job.heartbeat) clearInterval(job.heartbeat);
    job.heartbeat = undefined;
  }

  private changeVisibility(message: Message, seconds: number): Promise<unknown> {
    return this.o.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.o.queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  /** Delete after a final outcome; if that fails, the redelivery ends the same way (409). */
  private async deleteOrLog(job: ActiveJob, jobId: string): Promise<void> {
    try {
      await this.delete(job);
    } catch (error) {
      this.o.metrics.errors.inc({ kind: "delete" });
      this.o.log.warn("delete failed", { job_id: jobId, error: describeError(error) });
    }
  }

  private async delete(job: ActiveJob): Promise<void> {
    this.stopHeartbeat(job);
    await this.o.sqs.send(
      new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: job.receiptHandle }),
    );
  }
}

/** The error a client can fix (reported as `failed`, never retried), or undefined. */
function permanentFailure(error: unknown): { code: string; message: string } | undefined {
  if (error instanceof InputError) return { code: error.code, message: error.message };
  if (error instanceof EdgeError && error.kind === "permanent") {
    const code = { input: "input_unavailable", output: "output_rejected", callback: "callback_rejected" }[
      error.request
    ];
    return { code, message: error.message };
  }
  return undefined;
}
