/** The job state machine: which transitions exist, and which states are final. */
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";

const NEXT: Record<JobStatus, readonly JobStatus[]> = {
  queued: ["running", "succeeded", "failed", "canceled"],
  // running -> queued: the sweeper hands a stuck job back to the queue
  running: ["succeeded", "failed", "queued"],
  succeeded: [],
  failed: [],
  canceled: [],
};

export const isFinal = (s: JobStatus) => NEXT[s].length === 0;
export const canTransition = (from: JobStatus, to: JobStatus) => NEXT[from].includes(to);

/** Jobs running longer than this are swept back to the queue or failed. */
export const RUN_DEADLINE_MS = 10 * 60 * 1000;
/** A queued job whose message was sent this long ago without starting is sent again. */
export const REDISPATCH_AFTER_MS = 5 * 60 * 1000;
/** After this many starts a job is failed rather than retried. */
export const MAX_ATTEMPTS = 3;

/**
 * How long a final job's input and outputs are kept (worker/jobs/retention.ts deletes them):
 * 7 days, far longer than the webhook retry schedule (at most about an hour: 5 retries with
 * backoff capped at 10 minutes), so a receiver that comes back late still finds the outputs.
 */
export const RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** When the data of a job that became final at `finishedAt` (ms) is deleted. */
export const expiryFor = (finishedAt: number) => new Date(finishedAt + RETENTION_MS).toISOString();
/**
 * A queued job whose message was sent this many times (first send and re-sends) without
 * starting is failed instead of sent again: about half an hour at REDISPATCH_AFTER_MS,
 * longer than a GPU cold start from zero.
 */
export const MAX_DISPATCHES = 6;
