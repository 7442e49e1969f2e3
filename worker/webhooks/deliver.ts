/**
 * One webhook delivery attempt: sign, POST with a timeout, follow at most 3 redirects by
 * hand (each target checked like the first), record the attempt.
 */

import { signWebhook } from "../../protocol/standard-webhooks.ts";
import { findWebhookSecret } from "../auth/keys.ts";
import { batchJobs, getBatch, recordBatchDelivery } from "../batches/repo.ts";
import { publicBatch } from "../batches/view.ts";
import { getJob } from "../jobs/repo.ts";
import { publicJob } from "../jobs/service.ts";
import { checkWebhookUrl, UnsafeWebhookUrl, type UrlPolicy, urlPolicy } from "../net/url-policy.ts";
import { type DeliveryRow, recordDeliveryAttempt } from "./deliveries.ts";
import type { BatchWebhookTask, WebhookTask } from "./enqueue.ts";

const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;
/** The longest one attempt can take: its timeout on the request and on every redirect. */
export const MAX_ATTEMPT_MS = TIMEOUT_MS * (MAX_REDIRECTS + 1);

export interface DeliveryResult {
  outcome: "delivered" | "failed" | "refused";
  status?: number;
  error?: string;
}

export async function deliverWebhook(
  env: Env,
  task: WebhookTask,
  attempt: number,
  policy = urlPolicy(env),
): Promise<DeliveryResult> {
  const row = await getJob(env.DB, task.job_id);
  if (!row?.webhook_url) return { outcome: "refused", error: "job or webhook_url missing" };
  return sendAndRecord(env, row.webhook_url, row.api_key_id, task, attempt, policy, {
    data: () => publicJob(env, row),
    record: (a) => recordDeliveryAttempt(env.DB, row.id, { ...a, event: task.event }),
  });
}

/** One batch.completed delivery attempt: as a job's, with the batch as `data`. */
export async function deliverBatchWebhook(
  env: Env,
  task: BatchWebhookTask,
  attempt: number,
  policy = urlPolicy(env),
): Promise<DeliveryResult> {
  const batch = await getBatch(env.DB, task.batch_id);
  if (!batch?.webhook_url) return { outcome: "refused", error: "batch or webhook_url missing" };
  return sendAndRecord(env, batch.webhook_url, batch.api_key_id, task, attempt, policy, {
    data: async () => publicBatch(env, batch, await batchJobs(env.DB, batch.id)),
    record: (a) => recordBatchDelivery(env.DB, { batch_id: batch.id, ...a }),
  });
}

/** One attempt's record, whichever table keeps it (a job's or a batch's deliveries). */
type AttemptRecord = Omit<DeliveryRow, "id" | "event"> & { event: string };

/**
 * The body of every delivery, `{ type, timestamp, data }`, signed with the key's secret and
 * POSTed; the attempt is recorded with its outcome and duration, whatever it was.
 */
async function sendAndRecord(
  env: Env,
  url: string,
  apiKeyId: string,
  task: { event: string; webhook_id: string },
  attempt: number,
  policy: UrlPolicy,
  what: { data: () => Promise<unknown>; record: (attempt: AttemptRecord) => Promise<void> },
): Promise<DeliveryResult> {
  const started = Date.now();
  const secret = await findWebhookSecret(env.DB, apiKeyId);
  const body = JSON.stringify({
    type: task.event,
    timestamp: new Date().toISOString(),
    data: await what.data(),
  });
  const result = await postSigned(url, body, secret!, task.webhook_id, policy);
  await what.record({
    webhook_id: task.webhook_id,
    event: task.event,
    attempt,
    url,
    outcome: result.outcome,
    status_code: result.status ?? null,
    error: result.error ?? null,
    duration_ms: Date.now() - started,
    created_at: new Date().toISOString(),
  });
  return result;
}

/**
 * POST a signed body with a timeout, following at most MAX_REDIRECTS redirects by hand, each
 * target checked like the first. Never throws: the outcome says what happened.
 */
async function postSigned(
  url: string,
  body: string,
  secret: string,
  webhookId: string,
  policy: UrlPolicy,
): Promise<DeliveryResult> {
  const headers = {
    "content-type": "application/json",
    "user-agent": "fcn-webhooks/1",
    ...signWebhook(secret, webhookId, body),
  };
  let result: DeliveryResult;
  try {
    let target = url;
    let response: Response | undefined;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      await checkWebhookUrl(target, policy);
      response = await fetch(target, {
        method: "POST",
        body,
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || !location) break;
      target = new URL(location, target).toString();
      response = undefined;
    }
    if (!response) result = { outcome: "failed", error: "too many redirects" };
    else if (response.ok) result = { outcome: "delivered", status: response.status };
    else
      result = { outcome: "failed", status: response.status, error: `receiver answered ${response.status}` };
    await response?.body?.cancel().catch(() => {});
  } catch (error) {
    result =
      error instanceof UnsafeWebhookUrl
        ? { outcome: "refused", error: error.message }
        : {
            outcome: "failed",
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          };
  }
  return result;
}

/** The backoff's first delay (s) unless WEBHOOK_RETRY_BASE_SECONDS says otherwise. */
export const DEFAULT_RETRY_BASE_SECONDS = 2;
/** The longest delay (s) between two attempts, whatever the base. */
export const MAX_RETRY_DELAY_S = 600;

/** Exponential backoff for attempt n (1-based): base, 2*base, 4*base ... capped at 10 min. */
export const retryDelaySeconds = (attempt: number, base: number) =>
  Math.min(MAX_RETRY_DELAY_S, base * 2 ** (attempt - 1));

/**
 * The longest a webhook can take from its first attempt to its last with `maxRetries` (the
 * queue's max_retries, wrangler.toml): every attempt runs into its timeout on every redirect,
 * and every backoff delay is waited. Retention (jobs/state.ts) must outlast it.
 */
export function retryScheduleMs(maxRetries: number, base: number): number {
  let ms = MAX_ATTEMPT_MS;
  for (let retry = 1; retry <= maxRetries; retry++)
    ms += retryDelaySeconds(retry, base) * 1000 + MAX_ATTEMPT_MS;
  return ms;
}
