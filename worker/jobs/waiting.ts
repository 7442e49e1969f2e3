/** `Prefer: wait=N` on POST /v1/jobs: parsing the preference and holding the answer. */
import type { MiddlewareHandler } from "hono";
import { takeSlot } from "../auth/concurrency.ts";
import type { AppEnv } from "../types.ts";
import { getJob, type JobRow } from "./repo.ts";
import { isFinal } from "./state.ts";

/** The longest `Prefer: wait` honoured, in seconds. */
export const MAX_PREFER_WAIT_S = 60;
/** How often a held request reads the job again: D1 is cheap, and a timer costs no CPU. */
export const WAIT_POLL_MS = 300;
/** `Prefer: wait` requests one API key may have held at once: each holds a connection. */
export const MAX_WAITS_PER_KEY = 5;

/**
 * Before a POST /v1/jobs with a usable `Prefer: wait` reads its body: take one of the key's
 * MAX_WAITS_PER_KEY wait slots for the request's life (429 `rate_limited` without one, nothing
 * stored), and give it back when the answer is ready. Requests without the preference pass.
 */
export const capPreferWaits: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (parsePreferWait(c.req.header("prefer")) === undefined) return next();
  const slot = await takeSlot(
    c.env.DB,
    `waits:${c.get("apiKey").id}`,
    MAX_WAITS_PER_KEY,
    // an image_url fetch (10 s) and the wait itself, and then some
    (MAX_PREFER_WAIT_S + 60) * 1000,
    "held `Prefer: wait` requests",
  );
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(slot.release());
  }
};

/**
 * The `wait` preference of a Prefer header (RFC 7240: comma-separated preferences, each
 * `token[=value]` with optional `;` parameters, values optionally quoted), or undefined when
 * it is absent or malformed: an unusable preference is ignored, never an error.
 */
export function parsePreferWait(header: string | undefined): number | undefined {
  if (!header) return undefined;
  for (const preference of header.split(",")) {
    const [pair] = preference.split(";");
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== "wait") continue;
    const value = pair
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    if (!/^\d{1,4}$/.test(value)) return undefined;
    const seconds = Number(value);
    return seconds >= 1 && seconds <= MAX_PREFER_WAIT_S ? seconds : undefined;
  }
  return undefined;
}

/**
 * Read the job every WAIT_POLL_MS until it has ended or `seconds` have passed since `since`
 * (ms), then return it as it stands. Awaiting a timer holds the request without using CPU.
 */
export async function waitForEnd(
  db: D1Database,
  row: JobRow,
  seconds: number,
  since: number,
): Promise<JobRow> {
  const until = since + seconds * 1000;
  let current = row;
  while (!isFinal(current.status) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_POLL_MS, until - Date.now())));
    current = (await getJob(db, current.id)) ?? current;
  }
  return current;
}
