/**
 * The submit flow of POST /v1/jobs and POST /v1/batches, written once: the body's type, the
 * Cancel-After header merged into the options, the webhook_url check, the request hash an
 * Idempotency-Key binds, the replay of an earlier request, and the settling of two concurrent
 * requests with one key. The routes parse their body, call `submit`, and answer.
 *
 * It lives in jobs/ because a batch is jobs with shared options: batches/ already builds on
 * jobs/input.ts and jobs/options.ts, so the one who reads how a job is submitted finds it here,
 * and the dependency stays one way (batches/ imports jobs/, never the reverse).
 */
import { InputError } from "../../models/runtime/errors.ts";
import { sha256Hex } from "../auth/keys.ts";
import { ApiError } from "../errors/index.ts";
import { requireSafeWebhookUrl } from "./input.ts";
import type { JobOptions } from "./options.ts";

/** The two bodies a submission may have: images uploaded, or named by URL. */
export type SubmissionBody = "multipart/form-data" | "application/json";

/** The request's body type, or 415 unsupported_media_type with `refusal` (what the route takes). */
export function submissionBody(request: Request, refusal: string): SubmissionBody {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type === "multipart/form-data" || type === "application/json") return type;
  throw new InputError("unsupported_media_type", refusal);
}

/**
 * The Cancel-After header into the job options, where it means what `deadline_s` means:
 * 400 invalid_request when both are given and disagree.
 */
export function applyCancelAfter(options: JobOptions, cancelAfter: number | undefined): void {
  if (cancelAfter === undefined) return;
  if (options.cancelAfterS !== undefined && options.cancelAfterS !== cancelAfter)
    throw new ApiError(400, "invalid_request", "Cancel-After and deadline_s disagree: give one of them");
  options.cancelAfterS = cancelAfter;
}

/** What was stored, or found, for a submission. */
export interface Submitted<Row> {
  row: Row;
  /** true when an earlier request with the same Idempotency-Key made it */
  replayed: boolean;
}

/** One submission, as its route parsed it; what is stored is the route's own. */
export interface Submission<Row extends { request_hash: string }> {
  /** `job` or `batch`: a batch's hash is marked, so that it never equals a job's. */
  kind: "job" | "batch";
  /** The images in order: uploaded bytes, or URLs (fetched by `accept` or `resume`). */
  images: (Uint8Array | string)[];
  /** The parsed options (Cancel-After applied): part of the request hash. */
  options: object;
  /** Checked before anything is looked up or stored (400 invalid_webhook_url, 503). */
  webhookUrl: string | null;
  idempotencyKey: string | null;
  /** The key's submission made under this Idempotency-Key, or null. */
  find(idempotencyKey: string): Promise<Row | null>;
  /** Store the submission as new; fails when a concurrent request with the key stored first. */
  accept(requestHash: string): Promise<Row>;
  /** Finish an earlier submission whose acceptance was cut short (a batch's missing items). */
  resume?(earlier: Row, requestHash: string): Promise<void>;
}

/**
 * Submit once per Idempotency-Key: the same key with the same request answers what the first
 * made (finishing it if it was cut short), with another request 409 idempotency_conflict; of
 * two concurrent requests with one key, the loser answers with the winner's.
 */
export async function submit<Row extends { request_hash: string }>(
  env: Env,
  submission: Submission<Row>,
): Promise<Submitted<Row>> {
  const { idempotencyKey } = submission;
  await requireSafeWebhookUrl(env, submission.webhookUrl);
  const requestHash = await requestHashOf(submission);
  const earlier = idempotencyKey ? await submission.find(idempotencyKey) : null;
  if (earlier) return replay(earlier);
  try {
    return { row: await submission.accept(requestHash), replayed: false };
  } catch (error) {
    const winner = idempotencyKey ? await submission.find(idempotencyKey) : null;
    if (!winner) throw error;
    return replay(winner);
  }

  async function replay(row: Row): Promise<Submitted<Row>> {
    if (row.request_hash !== requestHash)
      throw new ApiError(
        409,
        "idempotency_conflict",
        "this Idempotency-Key was used with a different request",
      );
    await submission.resume?.(row, requestHash);
    return { row, replayed: true };
  }
}

/**
 * What an Idempotency-Key binds: each image's SHA-256 or its URL (marked, so that no upload's
 * hash can equal a URL's), in order, with the options. The text is what stored requests were
 * hashed from: changing it would turn every replay of an older request into a conflict.
 */
async function requestHashOf(submission: Submission<{ request_hash: string }>): Promise<string> {
  const sources = await Promise.all(
    submission.images.map((image) => (typeof image === "string" ? `url:${image}` : sha256Hex(image))),
  );
  const prefix = submission.kind === "batch" ? "batch:" : "";
  return sha256Hex(`${prefix}${sources.join(",")}:${JSON.stringify(submission.options)}`);
}
