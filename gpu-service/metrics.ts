/**
 * Prometheus metrics in the text exposition format (version 0.0.4), written by hand: three
 * metric kinds are all the service needs, and a dependency is not worth it.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */

type Labels = Record<string, string>;

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

const formatNumber = (n: number) =>
  Number.isFinite(n) ? String(n) : Number.isNaN(n) ? "NaN" : n > 0 ? "+Inf" : "-Inf";

interface Metric {
  render(): string;
}

/** A monotonically increasing count, per label set. */
export class Counter implements Metric {
  readonly name: string;
  readonly help: string;
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) {
      lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    }
    return lines.join("\n");
  }
}

/** A value that goes up and down, per label set. */
export class Gauge implements Metric {
  readonly name: string;
  readonly help: string;
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  set(value: number, labels: Labels = {}): void {
    this.values.set(labelText(labels), { labels, value });
  }
  add(by: number, labels: Labels = {}): void {
    this.set(this.get(labels) + by, labels);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const { labels, value } of this.values.values()) {
      lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    }
    return lines.join("\n");
  }
}

/** Observations counted into cumulative buckets (upper bounds in seconds), without labels. */
export class Histogram implements Metric {
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.buckets = [...buckets].sort((a, b) => a - b);
    this.counts = this.buckets.map(() => 0);
  }
  observe(value: number): void {
    for (const [i, bound] of this.buckets.entries()) if (value <= bound) this.counts[i]++;
    this.sum += value;
    this.count++;
  }
  get observations(): number {
    return this.count;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [i, bound] of this.buckets.entries()) {
      lines.push(`${this.name}_bucket{le="${formatNumber(bound)}"} ${this.counts[i]}`);
    }
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(`${this.name}_sum ${formatNumber(this.sum)}`);
    lines.push(`${this.name}_count ${this.count}`);
    return lines.join("\n");
  }
}

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

/** The service's metrics, registered once and rendered for /metrics. */
export class ServiceMetrics {
  readonly jobs = new Counter("fcn_gpu_service_jobs_total", "Received job messages by outcome.");
  readonly errors = new Counter("fcn_gpu_service_errors_total", "Errors by kind (stage or cause).");
  readonly inFlight = new Gauge("fcn_gpu_service_jobs_in_flight", "Job messages held and being worked on.");
  readonly jobSeconds = new Histogram(
    "fcn_gpu_service_job_duration_seconds",
    "Time from receiving a job message to its last step (download to callback).",
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  );
  readonly queueWaitSeconds = new Histogram(
    "fcn_gpu_service_queue_wait_seconds",
    "Time from job creation at the edge (created_at) to its receipt here.",
    [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  );
  readonly inferenceSeconds = new Histogram(
    "fcn_gpu_service_inference_duration_seconds",
    "Time of one onnxruntime run (a batch or all tiles of one input).",
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  readonly batchSize = new Histogram(
    "fcn_gpu_service_batch_size",
    "Inputs per onnxruntime run.",
    [1, 2, 4, 8, 16, 32, 64],
  );
  readonly info = new Gauge("fcn_gpu_service_info", "The execution provider and model in use (always 1).");
  readonly up = new Gauge("fcn_gpu_service_up", "1 while taking jobs, 0 while starting or draining.");

  /** The exposition text, one block per metric. */
  render(): string {
    const all: Metric[] = [
      this.info,
      this.up,
      this.jobs,
      this.errors,
      this.inFlight,
      this.jobSeconds,
      this.queueWaitSeconds,
      this.inferenceSeconds,
      this.batchSize,
    ];
    return `${all.map((m) => m.render()).join("\n")}\n`;
  }
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
