/**
 * The webhook events, declared once: the Worker's request schemas, its delivery queue and
 * repositories, and the OpenAPI document all derive from these lists.
 *
 * `job.started`: the GPU tier took the job (its first `running` report); `job.succeeded`,
 * `job.failed`, `job.canceled` (DELETE of a queued job, or its Cancel-After passed): it ended.
 * `batch.completed`: every item of a batch has ended (a batch's webhook only).
 */
export const WEBHOOK_EVENTS = ["job.started", "job.succeeded", "job.failed", "job.canceled"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Without `webhook_events`: the two endings, as before job.started and job.canceled existed. */
export const DEFAULT_WEBHOOK_EVENTS = [
  "job.succeeded",
  "job.failed",
] as const satisfies readonly WebhookEvent[];

/** A batch's webhook may also (and by default only) announce the end of the whole batch. */
export const BATCH_WEBHOOK_EVENTS = [...WEBHOOK_EVENTS, "batch.completed"] as const;
export type BatchWebhookEvent = (typeof BATCH_WEBHOOK_EVENTS)[number];
