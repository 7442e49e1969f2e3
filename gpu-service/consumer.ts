/**
 * The SQS consumer: for each message the lease (lease.ts) hands it, parse the job, run the
 * pipeline (pipeline.ts: download -> decode -> inference -> upload), post the callback, and
 * delete the message only once the result is stored and the callback accepted; a failure
 * goes to the failure policy (failure-policy.ts). Delivery is at least once, so everything here is safe to repeat:
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
 * While a job runs, the lease's heartbeat extends the message's visibility timeout so no
 * other consumer receives it.
 */
import type { ImageLimits } from "../models/runtime/image-info.ts";
import { FULL_LIMITS } from "../models/runtime/limits.ts";
import { type JobCallback, type JobMessage, parseJobMessage } from "../protocol/jobs.ts";
import type { EdgeClient } from "./edge-client.ts";
import { decideFailure, type FailureReport, reportFate, retryDelaySeconds } from "./failure-policy.ts";
import type { InferenceQueue } from "./inference.ts";
import { type Lease, type LeaseOptions, LeasePoller, type LeaseState } from "./lease.ts";
import { describeError } from "./log.ts";
import type { JobOutcome } from "./metrics.ts";
import { type JobContext, type JobStage, type PipelineOptions, runPipeline, stage } from "./pipeline.ts";

export type { JobStage };

/** The SQS lease's settings (messages held at once, visibility, heartbeat, polling) and the job's. */
export interface ConsumerOptions extends LeaseOptions {
  inference: InferenceQueue;
  edge: EdgeClient;
  /** the queue's maxReceiveCount: the attempt that reaches it is the last before the DLQ */
  maxReceives: number;
  retryBackoffSeconds: number;
  limits?: ImageLimits;
  /** awaited before each stage of every job; tests use it to slow or block a job */
  beforeStage?: (stage: JobStage, jobId: string) => Promise<void> | void;
}

export type ConsumerState = LeaseState;

export class JobConsumer {
  private readonly o: ConsumerOptions;
  private readonly pipeline: PipelineOptions;
  private readonly poller: LeasePoller;
  private stopping: Promise<void> | undefined;

  constructor(options: ConsumerOptions) {
    this.o = options;
    this.pipeline = {
      edge: options.edge,
      inference: options.inference,
      log: options.log,
      limits: options.limits ?? FULL_LIMITS,
      beforeStage: options.beforeStage,
    };
    this.poller = new LeasePoller(options, (lease) => this.handle(lease));
  }

  get state(): ConsumerState {
    return this.poller.state;
  }

  /** Messages held right now. */
  get inFlight(): number {
    return this.poller.inFlight;
  }

  /** Start long polling. */
  start(): void {
    this.poller.start();
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
    this.stopping ??= this.poller.stop(options).then(() => this.o.log.info("consumer stopped"));
    return this.stopping;
  }

  private async handle(lease: Lease): Promise<void> {
    const { log, metrics } = this.o;
    const received = performance.now();
    const attempt = lease.attempt;
    let body: unknown;
    let message: JobMessage;
    try {
      body = JSON.parse(lease.message.Body ?? "");
      message = parseJobMessage(body);
    } catch (error) {
      await this.poison(lease, body, error);
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
        await this.retryLater(lease);
        finish("retried");
        return;
      }
      await lease.delete();
      finish("expired");
      return;
    }

    const cancelAfter = message.cancel_after_at ? Date.parse(message.cancel_after_at) : undefined;
    const job: JobContext = { jobId, attempt, signal: lease.signal, received, queueWaitMs, cancelAfter };
    lease.startHeartbeat(jobId);
    try {
      const result = await runPipeline(this.pipeline, message, job);
      await stage(this.pipeline, job, "callback", () =>
        this.o.edge.postCallback(
          message.callback.url,
          { job_id: jobId, status: "succeeded", attempt, result },
          lease.signal,
        ),
      );
      await stage(this.pipeline, job, "delete", () => lease.delete());
      finish("succeeded", { width: result.width, height: result.height });
    } catch (error) {
      if (lease.signal.aborted) {
        finish("released");
        return;
      }
      const outcome = await this.settleFailure(lease, message, error);
      finish(outcome, { error: describeError(error) });
    }
  }

  /** Apply the failure policy to a failed job's message; returns the outcome for metrics. */
  private async settleFailure(lease: Lease, message: JobMessage, error: unknown): Promise<JobOutcome> {
    const { metrics, log } = this.o;
    const jobId = message.job_id;
    const attempt = lease.attempt;
    const decision = decideFailure(error, attempt, this.o.maxReceives);
    if (decision.action === "delete") {
      await this.deleteOrLog(lease, jobId);
      return "already_completed";
    }
    metrics.errors.inc({ kind: decision.errorKind });
    if (decision.action === "report") {
      // The failure must be on record at the edge before the message goes.
      const reported = await this.reportFailure(message, attempt, decision.report, lease.signal);
      if (reported === "transient") {
        await this.retryLater(lease);
        return "retried";
      }
      await this.deleteOrLog(lease, jobId);
      return reported === "gone" ? "gone" : "failed";
    }
    if (decision.report) {
      // The last attempt: tell the edge now; redrive moves the message to the DLQ for a look.
      log.error("giving up after the last attempt", { job_id: jobId, attempt, error: describeError(error) });
      await this.reportFailure(message, attempt, decision.report, lease.signal);
    }
    await this.retryLater(lease);
    return "retried";
  }

  /** A message that is not a valid job: it is kept so that redrive moves it to the DLQ. */
  private async poison(lease: Lease, body: unknown, error: unknown): Promise<void> {
    const { log, metrics } = this.o;
    metrics.errors.inc({ kind: "poison" });
    metrics.jobs.inc({ outcome: "poison" });
    const partial = body as { job_id?: unknown; callback?: { url?: unknown } } | undefined;
    const jobId = typeof partial?.job_id === "string" ? partial.job_id : undefined;
    const callbackUrl = typeof partial?.callback?.url === "string" ? partial.callback.url : undefined;
    log.error("invalid job message", {
      message_id: lease.message.MessageId,
      job_id: jobId,
      attempt: lease.attempt,
      max_receives: this.o.maxReceives,
      error: describeError(error),
    });
    if (jobId && callbackUrl) {
      const callback: JobCallback = {
        job_id: jobId,
        status: "failed",
        attempt: lease.attempt,
        error: { code: "invalid_job", message: describeError(error) },
      };
      await this.o.edge.postCallback(callbackUrl, callback, lease.signal).catch(() => {});
    }
    // Visible again at once: it reaches maxReceiveCount (and the DLQ) without waiting out
    // a visibility timeout per receive.
    await lease.setVisibility(0).catch(() => {});
  }

  /** Post a `failed` callback; what its fate means is the failure policy's (reportFate). */
  private async reportFailure(
    message: JobMessage,
    attempt: number,
    error: FailureReport,
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
      const fate = reportFate(e);
      if (fate !== "reported")
        this.o.log.warn("failed callback not delivered", { job_id: message.job_id, error: describeError(e) });
      return fate;
    }
  }

  /** Leave the message for redelivery after the policy's backoff. */
  private retryLater(lease: Lease): Promise<void> {
    return lease.retryAfter(
      retryDelaySeconds(lease.attempt, this.o.retryBackoffSeconds, this.o.visibilityTimeoutSeconds),
    );
  }

  /** Delete after a final outcome; if that fails, the redelivery ends the same way (409). */
  private async deleteOrLog(lease: Lease, jobId: string): Promise<void> {
    try {
      await lease.delete();
    } catch (error) {
      this.o.metrics.errors.inc({ kind: "delete" });
      this.o.log.warn("delete failed", { job_id: jobId, error: describeError(error) });
    }
  }
}
