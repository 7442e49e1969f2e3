/**
 * The service's Prometheus metrics, through prom-client, in a registry of their own (not the
 * library's global one), so that each service instance, and each test, counts for itself.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The outcome of one received message, as counted in fcn_gpu_service_jobs_total. */
export type JobOutcome =
  | "succeeded"
  | "failed"
  | "already_completed"
  | "retried"
  | "released"
  | "poison"
  | "expired"
  | "gone";

/** The service's metrics, registered once and rendered for /metrics (in this order). */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly info = new Gauge({
    name: "fcn_gpu_service_info",
    help: "The execution provider and model in use (always 1).",
    labelNames: ["provider", "model"] as const,
    registers: [this.registry],
  });
  readonly up = new Gauge({
    name: "fcn_gpu_service_up",
    help: "1 while taking jobs, 0 while starting or draining.",
    registers: [this.registry],
  });
  readonly jobs = new Counter({
    name: "fcn_gpu_service_jobs_total",
    help: "Received job messages by outcome.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: "fcn_gpu_service_errors_total",
    help: "Errors by kind (stage or cause).",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: "fcn_gpu_service_jobs_in_flight",
    help: "Job messages held and being worked on.",
    registers: [this.registry],
  });
  readonly jobSeconds = new Histogram({
    name: "fcn_gpu_service_job_duration_seconds",
    help: "Time from receiving a job message to its last step (download to callback).",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly queueWaitSeconds = new Histogram({
    name: "fcn_gpu_service_queue_wait_seconds",
    help: "Time from job creation at the edge (created_at) to its receipt here.",
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly inferenceSeconds = new Histogram({
    name: "fcn_gpu_service_inference_duration_seconds",
    help: "Time of one onnxruntime run (a batch or all tiles of one input).",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: "fcn_gpu_service_batch_size",
    help: "Inputs per onnxruntime run.",
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });

  /** The exposition text for /metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** How many received messages ended with `outcome` so far. */
  async jobsEnded(outcome: JobOutcome): Promise<number> {
    const { values } = await this.jobs.get();
    return values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  }
}

/** Prometheus text format 0.0.4, as prom-client writes it. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
