/** Validation of the option fields of POST /v1/jobs (pure, tested without HTTP). */
import { InputError } from "../../models/runtime/errors.ts";
import type { JobMode, JobOutputName } from "../../protocol/jobs.ts";
import type { WebhookEvent } from "../webhooks/enqueue.ts";

export interface JobOptions {
  mode: JobMode;
  outputs: JobOutputName[];
  webhookUrl: string | null;
  webhookEvents: WebhookEvent[];
}

const KNOWN_FIELDS = new Set(["mode", "outputs", "webhook_url", "webhook_events"]);
const MODES: JobMode[] = ["learned", "shift-and-stitch"];
const OUTPUTS: JobOutputName[] = ["mask", "probabilities"];
const EVENTS: WebhookEvent[] = ["job.succeeded", "job.failed"];

/** "a,b", "a b" or a JSON array of strings. */
function list(field: string, raw: string): string[] {
  const text = raw.trim();
  if (text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new InputError("invalid_request", `${field} is not valid JSON`);
    }
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string")) {
      throw new InputError("invalid_request", `${field} must be a list of strings`);
    }
    return parsed;
  }
  return text.split(/[\s,]+/).filter(Boolean);
}

export function parseJobOptions(fields: Record<string, string>): JobOptions {
  for (const name of Object.keys(fields)) {
    if (!KNOWN_FIELDS.has(name)) throw new InputError("invalid_request", `unknown field "${name}"`);
  }
  const mode = (fields.mode ?? "learned") as JobMode;
  if (!MODES.includes(mode))
    throw new InputError("invalid_request", `mode must be one of ${MODES.join(", ")}`);
  const outputs = fields.outputs ? list("outputs", fields.outputs) : ["mask"];
  for (const o of outputs) {
    if (!OUTPUTS.includes(o as JobOutputName))
      throw new InputError("invalid_request", `outputs may contain ${OUTPUTS.join(", ")}`);
  }
  const unique = [...new Set(["mask", ...outputs])] as JobOutputName[];
  const events = fields.webhook_events ? list("webhook_events", fields.webhook_events) : EVENTS;
  if (events.length === 0 || !events.every((e) => EVENTS.includes(e as WebhookEvent))) {
    throw new InputError("invalid_request", `webhook_events may contain ${EVENTS.join(", ")}`);
  }
  const webhookUrl = fields.webhook_url?.trim() || null;
  if (webhookUrl && webhookUrl.length > 2048)
    throw new InputError("invalid_request", "webhook_url is too long");
  return { mode, outputs: unique, webhookUrl, webhookEvents: [...new Set(events)] as WebhookEvent[] };
}
