/**
 * The SQS lease on job messages: long polling within a concurrency limit, a heartbeat that
 * keeps a held message invisible to other consumers, the visibility changes that hand it
 * back (at once, or after a backoff), deletion, and the drain at shutdown. It knows nothing
 * of jobs: each received message goes to a handler, which decides its fate through a Lease.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { describeError, type Logger } from "./log.ts";
import type { ServiceMetrics } from "./metrics.ts";

export interface LeaseOptions {
  sqs: SQSClient;
  queueUrl: string;
  metrics: ServiceMetrics;
  log: Logger;
  /** messages held at once */
  concurrency: number;
  visibilityTimeoutSeconds: number;
  heartbeatSeconds: number;
  waitTimeSeconds: number;
}

export type LeaseState = "idle" | "running" | "draining" | "stopped";

export const sleep = (ms: number, signal?: AbortSignal) =>
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

/** One received message, held until it is deleted or handed back. */
export class Lease {
  readonly message: Message;
  /** which receive of this message this is (1 for the first) */
  readonly attempt: number;
  /** aborted when the consumer gives the message up (shutdown past the grace period) */
  readonly abort = new AbortController();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly o: LeaseOptions;

  constructor(options: LeaseOptions, message: Message) {
    this.o = options;
    this.message = message;
    this.attempt = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Extend the visibility every `heartbeatSeconds` while the job runs. */
  startHeartbeat(jobId: string): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      this.setVisibility(this.o.visibilityTimeoutSeconds).then(
        () => this.o.log.debug("heartbeat", { job_id: jobId }),
        (error) => {
          this.o.metrics.errors.inc({ kind: "heartbeat" });
          this.o.log.warn("heartbeat failed", { job_id: jobId, error: describeError(error) });
        },
      );
    }, this.o.heartbeatSeconds * 1000);
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Remove the message for good: its job has a final outcome. */
  async delete(): Promise<void> {
    this.stopHeartbeat();
    await this.o.sqs.send(
      new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: this.message.ReceiptHandle }),
    );
  }

  /** Hand the message back, visible again after `seconds` (0: at once); failures are logged. */
  async retryAfter(seconds: number): Promise<void> {
    this.stopHeartbeat();
    await this.setVisibility(seconds).catch((error) => {
      this.o.log.warn("could not set the retry backoff", { error: describeError(error) });
    });
  }

  /** Visible again at once, logged; `count` it as released unless its job records its own outcome. */
  async release(reason: string, count = true): Promise<void> {
    this.stopHeartbeat();
    if (count) this.o.metrics.jobs.inc({ outcome: "released" });
    try {
      await this.setVisibility(0);
      this.o.log.info("message released", { message_id: this.message.MessageId, reason });
    } catch (error) {
      this.o.log.warn("could not release a message", {
        message_id: this.message.MessageId,
        error: describeError(error),
      });
    }
  }

  setVisibility(seconds: number): Promise<unknown> {
    return this.o.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.o.queueUrl,
        ReceiptHandle: this.message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}

/** Polls the queue and hands each message, as a Lease, to `handle`. */
export class LeasePoller {
  private readonly o: LeaseOptions;
  private readonly handle: (lease: Lease) => Promise<void>;
  private readonly active = new Map<Lease, Promise<void>>();
  private readonly pollAbort = new AbortController();
  private pollLoop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private capacityWaiters: (() => void)[] = [];
  private stateValue: LeaseState = "idle";

  constructor(options: LeaseOptions, handle: (lease: Lease) => Promise<void>) {
    this.o = options;
    this.handle = handle;
  }

  get state(): LeaseState {
    return this.stateValue;
  }

  /** Messages held right now. */
  get inFlight(): number {
    return this.active.size;
  }

  start(): void {
    if (this.stateValue !== "idle") throw new Error(`the consumer is ${this.stateValue}`);
    this.stateValue = "running";
    this.o.metrics.up.set(1);
    this.pollLoop = this.poll();
  }

  /**
   * Stop taking messages, let held ones finish for up to `graceMs`, then give the rest up:
   * released (visible again at once) by default, or left as they are with `release: false`,
   * which is what a crash looks like to the queue.
   */
  stop(options: { graceMs: number; release?: boolean } = { graceMs: 0 }): Promise<void> {
    this.stopping ??= this.drain(options.graceMs, options.release ?? true);
    return this.stopping;
  }

  private async drain(graceMs: number, release: boolean): Promise<void> {
    this.stateValue = "draining";
    this.o.metrics.up.set(0);
    this.pollAbort.abort();
    this.wakeCapacityWaiters();
    this.o.log.info("draining", { in_flight: this.active.size, grace_ms: graceMs });
    const all = () => Promise.all(this.active.values());
    const graceOver = new AbortController();
    const finished = await Promise.race([
      all().then(() => true),
      sleep(graceMs, graceOver.signal).then(() => false),
    ]);
    graceOver.abort();
    if (!finished) {
      const left = [...this.active.keys()];
      for (const lease of left) {
        lease.abort.abort();
        lease.stopHeartbeat();
      }
      if (release) await Promise.all(left.map((lease) => lease.release("shutdown", false)));
      this.o.log.warn("gave up jobs at shutdown", { jobs: left.length, released: release });
      // A job stuck in onnxruntime cannot be interrupted; it is abandoned, not awaited.
      await Promise.race([all(), sleep(1000)]);
    }
    await this.pollLoop;
    this.stateValue = "stopped";
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
        const lease = new Lease(this.o, message);
        if (this.stateValue === "running") this.begin(lease);
        else void lease.release("received while draining");
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

  private begin(lease: Lease): void {
    const done = Promise.resolve()
      .then(() => this.handle(lease))
      .catch((error) => {
        // The handler deals with every expected failure; this is a bug, logged and kept for retry.
        this.o.metrics.errors.inc({ kind: "internal" });
        this.o.log.error("job handler failed", {
          message_id: lease.message.MessageId,
          error: describeError(error),
        });
      })
      .finally(() => {
        lease.stopHeartbeat();
        this.active.delete(lease);
        this.o.metrics.inFlight.set(this.active.size);
        this.wakeCapacityWaiters();
      });
    this.active.set(lease, done);
    this.o.metrics.inFlight.set(this.active.size);
  }
}
