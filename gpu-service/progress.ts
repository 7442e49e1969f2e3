/**
 * Progress reports of one job to the edge (protocol/jobs.ts `progress` callbacks): which
 * stage the job is in and the share of the whole job done. Reports only move forward, and at
 * most one is sent per `minIntervalMs`; the latest one held back is sent when the interval
 * is over, so the last stage reached always shows. Sending never blocks or fails the job.
 */
import { type JobProgress, PROGRESS_STAGES, type ProgressStage } from "../protocol/jobs.ts";

/**
 * The share of the whole job each stage spans, [start, end): inference dominates (a
 * 64-shift or tiled run far more), downloading, encoding and uploading are short.
 */
export const STAGE_SPANS: Record<ProgressStage, readonly [number, number]> = {
  downloading: [0, 0.1],
  inferring: [0.1, 0.85],
  encoding: [0.85, 0.95],
  uploading: [0.95, 1],
};

/** Two reports a second at most: enough for a progress bar, little D1 write load per job. */
export const PROGRESS_MIN_INTERVAL_MS = 500;

export interface ProgressReporterOptions {
  minIntervalMs?: number;
  /** ms clock; tests pass a fake one */
  now?: () => number;
  /** a send that failed (logged by the caller; the job goes on) */
  onError?: (error: unknown) => void;
}

/** Rate-limited, monotonic progress for one job; `close()` once the job's work is over. */
export class ProgressReporter {
  private readonly send: (progress: JobProgress) => Promise<void>;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  /** the furthest point reported so far (sent or held back) */
  private latest: JobProgress | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private held: JobProgress | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(send: (progress: JobProgress) => Promise<void>, options: ProgressReporterOptions = {}) {
    this.send = send;
    this.minIntervalMs = options.minIntervalMs ?? PROGRESS_MIN_INTERVAL_MS;
    this.now = options.now ?? (() => Date.now());
    this.onError = options.onError ?? (() => {});
  }

  /** Report that `done` of `total` steps of `stage` are done (tile k of n, shift k of 64). */
  report(stage: ProgressStage, done = 0, total = 1): void {
    if (this.closed) return;
    const [start, end] = STAGE_SPANS[stage];
    const within = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
    // Three decimals: finer steps would only be more writes for the same bar.
    const progress = { stage, fraction: Math.round((start + (end - start) * within) * 1000) / 1000 };
    if (this.latest && !movesForward(this.latest, progress)) return;
    this.latest = progress;
    const wait = this.lastSentAt + this.minIntervalMs - this.now();
    if (wait <= 0) {
      this.dispatch(progress);
      return;
    }
    this.held = progress;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const held = this.held;
      this.held = undefined;
      if (held && !this.closed) this.dispatch(held);
    }, wait);
  }

  /** Stop: nothing held back is sent, nothing more is reported. */
  close(): void {
    this.closed = true;
    this.held = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dispatch(progress: JobProgress): void {
    this.lastSentAt = this.now();
    this.send(progress).catch(this.onError);
  }
}

/** Whether `next` is further than `last`: no earlier stage, no lower fraction, not the same point. */
function movesForward(last: JobProgress, next: JobProgress): boolean {
  const stage = PROGRESS_STAGES.indexOf(next.stage) - PROGRESS_STAGES.indexOf(last.stage);
  return stage >= 0 && next.fraction >= last.fraction && (stage > 0 || next.fraction > last.fraction);
}
