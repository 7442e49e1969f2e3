/** `Prefer: wait=N` on POST /v1/jobs: parsing the preference and holding the answer. */
import { getJob, type JobRow } from "./repo.ts";
import { isFinal } from "./state.ts";

/** The longest `Prefer: wait` honoured, in seconds. */
export const MAX_PREFER_WAIT_S = 60;
/** How often a held request reads the job again: D1 is cheap, and a timer costs no CPU. */
export const WAIT_POLL_MS = 300;

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
