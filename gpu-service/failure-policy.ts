/**
 * What becomes of a job that failed: pure decisions, applied by the consumer.
 *
 *   the edge says the job is done (409)              -> delete the message
 *   permanent (bad image, 4xx on input/output/callback, -> report `failed`, then delete
 *   the job's Cancel-After passed)
 *   transient (network, 5xx, model failure)          -> keep it, visible again after a backoff;
 *                                                       the last attempt reports `failed` first,
 *                                                       and redrive moves it to the DLQ
 */
import { InputError } from "../models/runtime/errors.ts";
import { EdgeError } from "./edge-client.ts";
import { DeadlineExceeded } from "./pipeline.ts";

export interface FailureReport {
  code: string;
  message: string;
}

export type FailureDecision =
  /** another attempt already finished the job (or it was canceled): the result stands */
  | { action: "delete" }
  /** the client's fault: on record at the edge before the message goes */
  | { action: "report"; report: FailureReport; errorKind: string }
  /** worth another attempt; `report` is set on the last one, so the edge hears of it now */
  | { action: "retry"; report?: FailureReport; errorKind: string };

/** The error a client can fix (reported as `failed`, never retried), or undefined. */
export function permanentFailure(error: unknown): FailureReport | undefined {
  if (error instanceof InputError || error instanceof DeadlineExceeded)
    return { code: error.code, message: error.message };
  if (error instanceof EdgeError && error.kind === "permanent") {
    const code = { input: "input_unavailable", output: "output_rejected", callback: "callback_rejected" }[
      error.request
    ];
    return { code, message: error.message };
  }
  return undefined;
}

/** Decide what a failed job's message becomes on receive number `attempt` of `maxReceives`. */
export function decideFailure(error: unknown, attempt: number, maxReceives: number): FailureDecision {
  if (error instanceof EdgeError && error.kind === "done") return { action: "delete" };
  const permanent = permanentFailure(error);
  if (permanent) return { action: "report", report: permanent, errorKind: permanent.code };
  const errorKind = error instanceof EdgeError ? "edge" : "internal";
  if (attempt >= maxReceives) {
    return {
      action: "retry",
      errorKind,
      report: { code: "internal_error", message: "the job failed on every attempt" },
    };
  }
  return { action: "retry", errorKind };
}

/** Seconds before a kept message is visible again: doubles per attempt, capped. */
export function retryDelaySeconds(attempt: number, baseSeconds: number, capSeconds: number): number {
  return Math.min(capSeconds, Math.round(baseSeconds * 2 ** Math.max(0, attempt - 1)));
}

/**
 * What a `failed` callback's fate means: "reported" when the edge took it (or already had a
 * final state), "gone" when the edge no longer knows the job, "transient" when it must be
 * tried again (a 401/403 is our signature or clock, not the job: it is worth a retry).
 */
export function reportFate(error: unknown): "reported" | "gone" | "transient" {
  if (error === undefined) return "reported";
  if (error instanceof EdgeError && error.kind === "done") return "reported";
  if (
    error instanceof EdgeError &&
    error.kind === "permanent" &&
    error.status !== 401 &&
    error.status !== 403
  )
    return "gone";
  return "transient";
}
