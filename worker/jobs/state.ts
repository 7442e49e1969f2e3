/**
 * Job states and their timing rules. Each transition is one conditional UPDATE in repo.ts
 * (`markJobRunning`, `cancelQueuedJob`, ...), which names the states it may leave.
 */
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";

const FINAL: ReadonlySet<JobStatus> = new Set(["succeeded", "failed", "canceled"]);
/** A final job takes no more work and never changes state again. */
export const isFinal = (s: JobStatus) => FINAL.has(s);

/** Jobs running longer than this are swept back to the queue or failed. */
export const RUN_DEADLINE_MS = 10 * 60 * 1000;
/** A queued job whose message was sent this long ago without starting is sent again. */
export const REDISPATCH_AFTER_MS = 5 * 60 * 1000;
/** The longest Cancel-After (or deadline_s) accepted, in seconds: one day. */
export const MAX_CANCEL_AFTER_S = 86_400;
/** After this many starts a job is failed rather than retried. */
export const MAX_ATTEMPTS = 3;

/**
 * How long a final job's input and outputs are kept (worker/jobs/retention.ts deletes them):
 * 7 days, far longer than the webhook retry schedule (retryScheduleMs in webhooks/deliver.ts
 * with the queue's max_retries: under an hour), so a receiver that comes back late still finds
 * the outputs (retention.test.ts checks the relation).
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
