/** Shared helpers for the workerd tests: keys, job submissions, signed callbacks, SQS reads. */
import { env, exports } from "cloudflare:workers";
import { AwsClient } from "aws4fetch";
import type { components } from "../../protocol/api-types.ts";
import type { JobCallback, JobMessage, JobResultSummary } from "../../protocol/jobs.ts";
import { signWebhook } from "../../protocol/standard-webhooks.ts";

export const BASE = "http://edge.test";
export const fromBase64 = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));

/** The result a succeeded callback reports for a 64x48 test image, with these outputs written. */
export const resultSummary = (outputs: JobResultSummary["outputs"] = ["mask"]): JobResultSummary => ({
  model: "fcn8s-test",
  width: 64,
  height: 48,
  class_fractions: Array(11).fill(1 / 11),
  outputs,
  timings_ms: { queue_wait: 1, download: 1, decode: 1, inference: 1, upload: 1, total: 5 },
  provider: "cpu",
});

export const call = (path: string, init: RequestInit = {}) =>
  exports.default.fetch(new Request(`${BASE}${path}`, init));

export async function newKey(name = "test"): Promise<{ id: string; key: string; webhook_secret: string }> {
  const r = await call("/v1/admin/keys", {
    method: "POST",
    headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (r.status !== 201) throw new Error(`key creation failed: ${r.status} ${await r.text()}`);
  return r.json();
}

export function jobForm(image: Uint8Array, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.append("image", new Blob([image as Uint8Array<ArrayBuffer>], { type: "image/png" }), "input.png");
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

/** A job as the API answers it: the OpenAPI document's `Job`, so tests read what is declared. */
export type JobJson = components["schemas"]["Job"];

export async function submit(
  key: string,
  image: Uint8Array,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  return call("/v1/jobs", {
    method: "POST",
    body: jobForm(image, fields),
    headers: { authorization: `Bearer ${key}`, ...headers },
  });
}

export async function postCallback(
  jobId: string,
  callback: JobCallback,
  options: { secret?: string; now?: number; headers?: Record<string, string> } = {},
) {
  const body = JSON.stringify(callback);
  const headers = {
    "content-type": "application/json",
    ...signWebhook(options.secret ?? env.CALLBACK_SECRET, crypto.randomUUID(), body, options.now),
    ...options.headers,
  };
  return call(`/internal/jobs/${jobId}/callback`, { method: "POST", body, headers });
}

const sqs = () =>
  new AwsClient({ accessKeyId: "test", secretAccessKey: "test", region: "us-east-1", service: "sqs" });

/** Receive (and delete) the job messages waiting in the test queue. */
export async function drainQueue(): Promise<JobMessage[]> {
  const origin = new URL(env.SQS_QUEUE_URL).origin;
  const messages: JobMessage[] = [];
  for (;;) {
    const r = await sqs().fetch(`${origin}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ReceiveMessage" },
      body: JSON.stringify({ QueueUrl: env.SQS_QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    });
    const body = (await r.json()) as { Messages?: { Body: string; ReceiptHandle: string }[] };
    if (!body.Messages?.length) return messages;
    for (const m of body.Messages) {
      messages.push(JSON.parse(m.Body));
      await sqs().fetch(`${origin}/`, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.DeleteMessage" },
        body: JSON.stringify({ QueueUrl: env.SQS_QUEUE_URL, ReceiptHandle: m.ReceiptHandle }),
      });
    }
  }
}

/** The path and query of a signed URL, to call it against the test Worker. */
export const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};
