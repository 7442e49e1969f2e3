// @ts-check
/**
 * The demo page's calls to the API, through openapi-fetch (./vendor/ holds copies of the pinned
 * packages it imports, so the page needs no build step). tsc checks this module against protocol/api-types.ts,
 * generated from the API's OpenAPI document: a contract change breaks the build, not the page.
 */
import { createParser } from "./vendor/eventsource-parser.mjs";
import createClient from "./vendor/openapi-fetch.mjs";

/** @typedef {import("../../../protocol/api-types.ts").paths} Paths */
/** @typedef {import("../../../protocol/api-types.ts").components["schemas"]} Schemas */

/** @type {import("openapi-fetch").Client<Paths>} */
const api = createClient({ baseUrl: location.origin });

/** An error answer from the API: `{ "error": { "code", "message" } }`. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * The ApiError of an answer that is not ok, from its (already parsed) error body.
 * @param {Response} response
 * @param {unknown} body
 */
export function apiError(response, body) {
  const error = /** @type {{ error?: { code?: string, message?: string } } | undefined} */ (body)?.error;
  return new ApiError(
    response.status,
    error?.code ?? `http_${response.status}`,
    error?.message ?? (response.statusText || "request failed"),
  );
}

/**
 * The data of an ok answer; otherwise throws its ApiError.
 * @template T
 * @param {Promise<{ data?: T, error?: unknown, response: Response }>} call
 * @returns {Promise<{ data: T, response: Response }>}
 */
async function ok(call) {
  const { data, error, response } = await call;
  if (!response.ok) throw apiError(response, error);
  return { data: /** @type {T} */ (data), response };
}

/** @param {string} key */
const bearer = (key) => ({ Authorization: `Bearer ${key}` });

/** Sent as it is: the routes read image bytes and multipart forms themselves. */
const asIs = /** @param {unknown} body */ (body) => /** @type {BodyInit} */ (body);

/** GET /v1/models. */
export const models = async () => (await ok(api.GET("/v1/models"))).data;

/**
 * POST /v1/preview with the image as the body: the mask PNG and the answer's headers.
 * @param {Blob} image
 */
export const preview = (image) =>
  ok(
    api.POST("/v1/preview", {
      body: /** @type {string} */ (/** @type {unknown} */ (image)),
      bodySerializer: asIs,
      headers: { "Content-Type": image.type || "application/octet-stream" },
      parseAs: "blob",
    }),
  );

/** GET /v1/demo/key, whole: the page treats its 404 (outside development) as "ask for a key". */
export const demoKey = () => api.GET("/v1/demo/key");

/**
 * POST /v1/jobs, whole: the page retries a 401 with a fresh key.
 * @param {FormData} form
 * @param {string} key
 */
export const postJob = (form, key) =>
  api.POST("/v1/jobs", {
    body: /** @type {Schemas["JobCreateForm"]} */ (/** @type {unknown} */ (form)),
    bodySerializer: asIs,
    headers: bearer(key),
  });

/**
 * Follow GET /v1/jobs/{id}/events: `onJob` gets the job of every `status` and `progress` event;
 * resolves with the last job seen when the stream ends (after a final status, or when the
 * server caps the stream's life: then call again). fetch streaming, not EventSource: an
 * EventSource cannot send the API key header.
 * @param {string} id
 * @param {string} key
 * @param {(job: Schemas["Job"]) => void} onJob
 * @param {AbortSignal} signal aborting it closes the stream (the server stops at once)
 * @returns {Promise<Schemas["Job"] | undefined>}
 */
export async function followJob(id, key, onJob, signal) {
  const { data: body } = await ok(
    api.GET("/v1/jobs/{id}/events", {
      params: { path: { id } },
      headers: bearer(key),
      parseAs: "stream",
      signal,
    }),
  );
  if (!body) throw new Error("the event stream has no body");
  /** @type {Schemas["Job"] | undefined} */
  let last;
  for await (const event of serverSentEvents(body)) {
    if (event.event !== "status" && event.event !== "progress") continue;
    last = JSON.parse(event.data);
    onJob(/** @type {Schemas["Job"]} */ (last));
  }
  return last;
}

/**
 * The events of a text/event-stream body as they arrive, parsed by eventsource-parser (the
 * library cli/sse.ts uses too; ./vendor/ holds its pinned build). Leaving early cancels the
 * stream, so the server stops at once.
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<{ event: string, data: string }>}
 */
async function* serverSentEvents(body) {
  /** @type {{ event: string, data: string }[]} */
  let events = [];
  const parser = createParser({
    onEvent: ({ event, data }) => events.push({ event: event || "message", data }),
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
      yield* events;
      events = [];
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
