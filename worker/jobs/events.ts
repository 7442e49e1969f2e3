/**
 * GET /v1/jobs/{id}/events: the job's changes as Server-Sent Events. Workers get no push
 * from D1, so the stream reads the job every EVENTS_POLL_MS and sends an event when its
 * status (`status`) or its progress (`progress`) changed; `data` is the job as GET
 * /v1/jobs/{id} shows it. The first event is the job as it stands (`status`), so a client that
 * reconnects misses nothing it needs; the stream ends after a final status, or after
 * EVENTS_MAX_LIFETIME_MS (the client reconnects). A client that goes away stops the reads at once.
 * The key is checked with every read: a key revoked (or deleted) while its stream is open ends
 * the stream before anything more is sent, so no signed output link reaches it (issue #29).
 * A key may hold MAX_EVENT_STREAMS_PER_KEY streams open at once (auth/concurrency.ts); one more
 * is 429.
 */
import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { takeSlot } from "../auth/concurrency.ts";
import { isKeyActive } from "../auth/keys.ts";
import type { AppEnv } from "../types.ts";
import { getJob, type JobRow, progressView } from "./repo.ts";
import { publicJob } from "./service.ts";
import { isFinal } from "./state.ts";

/** How often the job is read: progress changes a few times a second at most, D1 reads are cheap. */
export const EVENTS_POLL_MS = 1000;
/** An SSE comment this often keeps proxies and load balancers from closing a quiet stream. */
export const EVENTS_HEARTBEAT_MS = 15_000;
/** A stream's longest life: no request is held forever; the client reconnects. */
export const EVENTS_MAX_LIFETIME_MS = 5 * 60_000;
/** The reconnect delay suggested to EventSource clients (the SSE `retry` field). */
export const EVENTS_RETRY_MS = 1000;
/** Event streams one API key may hold open at once: each holds a connection and polls D1. */
export const MAX_EVENT_STREAMS_PER_KEY = 10;

export type JobEventName = "status" | "progress";

/**
 * Stream `first` and its later changes as SSE; `first` is the job the caller may read. Throws
 * 429 `rate_limited` when the key already holds MAX_EVENT_STREAMS_PER_KEY streams.
 */
export async function streamJobEvents(c: Context<AppEnv>, first: JobRow): Promise<Response> {
  const slot = await takeSlot(
    c.env.DB,
    `events:${c.get("apiKey").id}`,
    MAX_EVENT_STREAMS_PER_KEY,
    EVENTS_MAX_LIFETIME_MS + 60_000, // the stream's longest life, and then some
    "open event streams",
  );
  const until = Date.now() + EVENTS_MAX_LIFETIME_MS;
  c.header("X-Accel-Buffering", "no"); // a buffering proxy would hold the events back
  return streamSSE(
    c,
    async (stream) => {
      try {
        await follow(stream);
      } finally {
        // after the response has ended, so it must outlive the request
        c.executionCtx.waitUntil(slot.release());
      }
    },
    async (error: Error, stream: SSEStreamingApi) => {
      // The client sees the stream end (and reconnects); the cause goes to the log.
      console.error(
        JSON.stringify({ level: "error", msg: "job events failed", job_id: first.id, error: String(error) }),
      );
      await stream.close();
    },
  );

  async function follow(stream: SSEStreamingApi) {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    let last = first;
    let lastWrite = Date.now();
    const send = async (event: JobEventName, row: JobRow) => {
      const data = JSON.stringify(await publicJob(c.env, row));
      await stream.writeSSE({ event, data, id: row.updated_at, retry: EVENTS_RETRY_MS });
      lastWrite = Date.now();
    };
    await send("status", first);
    while (!isFinal(last.status) && Date.now() < until) {
      await pause(Math.min(EVENTS_POLL_MS, until - Date.now()), gone.signal);
      if (gone.signal.aborted) return;
      const [row, keyActive] = await Promise.all([
        getJob(c.env.DB, first.id),
        isKeyActive(c.env.DB, c.get("apiKey").id),
      ]);
      if (!row || !keyActive) return;
      const event = changeOf(last, row);
      if (event) await send(event, row);
      else if (Date.now() - lastWrite >= EVENTS_HEARTBEAT_MS) {
        await stream.write(": keep-alive\n\n");
        lastWrite = Date.now();
      }
      last = row;
    }
  }
}

/** Which event a change from `before` to `after` is, or undefined when neither moved. */
export function changeOf(before: JobRow, after: JobRow): JobEventName | undefined {
  if (before.status !== after.status) return "status";
  const a = progressView(before);
  const b = progressView(after);
  if (a?.stage !== b?.stage || a?.fraction !== b?.fraction) return "progress";
  return undefined;
}

/** Wait `ms`, or less if `signal` aborts first; the timer never outlives the wait. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
