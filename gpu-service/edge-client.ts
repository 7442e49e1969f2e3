/**
 * The GPU tier's only way to the edge: the signed URLs of a job message (GET the input, PUT
 * each output) and the HMAC-signed completion callback. Every failure is classified so the
 * consumer knows whether to retry, give up, or stop because the job is already done.
 */

import { type JobCallback, OUTPUT_PART_BYTES, type UploadedPart } from "../protocol/jobs.ts";
import { signWebhook } from "../protocol/standard-webhooks.ts";

/**
 * - `done`: the edge says the job is already finished or canceled (HTTP 409): nothing to do
 * - `permanent`: retrying the same request cannot help (other 4xx)
 * - `transient`: the network or the edge failed (5xx, 408, 429, timeouts): retry later
 */
export type EdgeErrorKind = "done" | "permanent" | "transient";
/** Which of the three requests failed. */
export type EdgeRequest = "input" | "output" | "callback";

/** A refused or failed request to the edge. */
export class EdgeError extends Error {
  readonly kind: EdgeErrorKind;
  readonly request: EdgeRequest;
  readonly status: number | undefined;
  /** the edge's error code (`{"error":{"code"}}`), when it sent one */
  readonly code: string | undefined;
  constructor(kind: EdgeErrorKind, request: EdgeRequest, message: string, status?: number, code?: string) {
    super(message);
    this.name = "EdgeError";
    this.kind = kind;
    this.request = request;
    this.status = status;
    this.code = code;
  }
}

// A 409 means "this job takes no more work" except when the edge asks for missing outputs:
// that one is repaired by running the job again.
const RETRYABLE_CONFLICTS = new Set(["missing_outputs"]);

async function errorFor(request: EdgeRequest, what: string, response: Response): Promise<EdgeError> {
  let code: string | undefined;
  let detail = "";
  try {
    const text = await response.text();
    detail = text.slice(0, 200);
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {}
  const message = `${what} answered ${response.status}${detail ? `: ${detail}` : ""}`;
  const status = response.status;
  if (status === 409 && !(code && RETRYABLE_CONFLICTS.has(code))) {
    return new EdgeError("done", request, message, status, code);
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 429 && status !== 409) {
    return new EdgeError("permanent", request, message, status, code);
  }
  return new EdgeError("transient", request, message, status, code);
}

function networkError(request: EdgeRequest, what: string, error: unknown): EdgeError {
  const reason =
    error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : error;
  return new EdgeError("transient", request, `${what} failed: ${reason}`);
}

export interface EdgeClientOptions {
  callbackSecret: string;
  /**
   * The edge's public origin (EDGE_ORIGIN): when set, a URL on any other origin is refused
   * before connecting, whatever a job message says.
   */
  edgeOrigin?: string;
  /** per request, ms */
  timeoutMs: number;
  /** the largest input accepted, bytes */
  maxInputBytes: number;
  /** outputs larger than this go up in parts of this size (default OUTPUT_PART_BYTES) */
  partBytes?: number;
}

/** `url` with more query parameters (a signed URL keeps its own). */
function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Input download, output upload and signed callbacks over fetch. */
export class EdgeClient {
  private readonly options: EdgeClientOptions;
  constructor(options: EdgeClientOptions) {
    this.options = options;
  }

  /** GET the input bytes from a signed URL. */
  async getInput(url: string, signal?: AbortSignal): Promise<Uint8Array> {
    const response = await this.request("input", "GET input", url, { method: "GET" }, signal);
    const declared = Number(response.headers.get("content-length") ?? 0);
    if (declared > this.options.maxInputBytes) {
      await response.body?.cancel();
      throw new EdgeError(
        "permanent",
        "input",
        `the input is ${declared} bytes, more than ${this.options.maxInputBytes}`,
      );
    }
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw networkError("input", "GET input", error);
    }
  }

  /**
   * Store one output through its signed URL: one PUT when it fits a part, else a multipart
   * upload (protocol/jobs.ts), part by part from views of `body`, so nothing is copied whole.
   */
  async putOutput(url: string, contentType: string, body: Uint8Array, signal?: AbortSignal): Promise<void> {
    const partBytes = this.options.partBytes ?? OUTPUT_PART_BYTES;
    if (body.byteLength <= partBytes) {
      const put = { method: "PUT", headers: { "content-type": contentType }, body };
      await (await this.send("PUT output", url, put, signal)).body?.cancel();
      return;
    }
    const created = await this.send(
      "POST output upload",
      withQuery(url, { uploads: "" }),
      { method: "POST", headers: { "content-type": contentType } },
      signal,
    );
    const { upload_id: uploadId } = (await created.json()) as { upload_id: string };
    try {
      const parts: UploadedPart[] = [];
      for (let offset = 0, n = 1; offset < body.byteLength; offset += partBytes, n++) {
        const part = body.subarray(offset, Math.min(offset + partBytes, body.byteLength));
        const response = await this.send(
          `PUT output part ${n}`,
          withQuery(url, { upload_id: uploadId, part_number: String(n) }),
          { method: "PUT", body: part },
          signal,
        );
        parts.push((await response.json()) as UploadedPart);
      }
      const complete = await this.send(
        "POST output upload complete",
        withQuery(url, { upload_id: uploadId }),
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ parts }) },
        signal,
      );
      await complete.body?.cancel();
    } catch (error) {
      // Best effort: R2 also drops uploads left incomplete for days.
      await this.send("DELETE output upload", withQuery(url, { upload_id: uploadId }), { method: "DELETE" })
        .then((r) => r.body?.cancel())
        .catch(() => {});
      throw error;
    }
  }

  /** One request of an output upload; the caller reads or drops the answer's body. */
  private send(
    what: string,
    url: string,
    init: Omit<RequestInit, "body"> & { body?: Uint8Array | string },
    signal?: AbortSignal,
  ): Promise<Response> {
    // Our arrays never sit on a SharedArrayBuffer, which is all the DOM typing rules out.
    return this.request("output", what, url, init as RequestInit, signal);
  }

  /** POST a callback, signed with Standard Webhooks and CALLBACK_SECRET; each POST is a new message id. */
  async postCallback(url: string, callback: JobCallback, signal?: AbortSignal): Promise<void> {
    const body = JSON.stringify(callback);
    const headers = {
      "content-type": "application/json",
      ...signWebhook(this.options.callbackSecret, crypto.randomUUID(), body),
    };
    const response = await this.request(
      "callback",
      `callback ${callback.status}`,
      url,
      { method: "POST", headers, body },
      signal,
    );
    await response.body?.cancel();
  }

  private async request(
    request: EdgeRequest,
    what: string,
    url: string,
    init: RequestInit,
    signal?: AbortSignal,
  ): Promise<Response> {
    const { edgeOrigin } = this.options;
    if (edgeOrigin && (!URL.canParse(url) || new URL(url).origin !== edgeOrigin)) {
      throw new EdgeError("permanent", request, `${what}: ${url} is not on the edge's origin ${edgeOrigin}`);
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    try {
      // The edge never redirects: following one would take signed requests (and the input)
      // wherever the answer points.
      response = await fetch(url, {
        ...init,
        redirect: "manual",
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw networkError(request, what, error);
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get("location") ?? "nowhere";
      throw new EdgeError(
        "permanent",
        request,
        `${what} answered a redirect (${response.status} to ${location}); the GPU tier follows none`,
        response.status,
      );
    }
    if (!response.ok) throw await errorFor(request, what, response);
    return response;
  }
}
