/**
 * A stand-in for the edge's internal routes (worker/internal/routes.ts), for tests: it serves
 * job inputs, records output PUTs, and checks each callback's Standard Webhooks signature with
 * node:crypto (test/fixtures/callback-hmac.ts), not with the library the service signs with.
 * Like the real edge, a job with a final state answers 409
 * `already_completed` to every further request, and `succeeded` without its outputs is
 * refused with 409 `missing_outputs`. Outputs arrive whole or as multipart uploads.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type JobCallback,
  type JobMessage,
  type JobMode,
  type JobOutputName,
  type JobQuality,
  OUTPUT_CONTENT_TYPES,
  type UploadedPart,
} from "../../protocol/jobs.ts";
import { verifyCallbackIndependently } from "../../test/fixtures/callback-hmac.ts";

export interface RecordedPut {
  jobId: string;
  name: string;
  contentType: string;
  body: Uint8Array;
}

export interface RecordedCallback {
  jobId: string;
  callback: JobCallback;
  /** HTTP status the stub answered */
  status: number;
}

/** A multipart output upload (protocol/jobs.ts): its parts by number. */
export interface StubUpload {
  jobId: string;
  name: string;
  contentType: string;
  parts: Map<number, Uint8Array>;
  done: boolean;
}

interface StubJob {
  input: Uint8Array;
  contentType: string;
  /** statuses to answer the next input GETs with, before serving the bytes */
  inputFailures: number[];
  status: "queued" | "running" | "succeeded" | "failed";
}

const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
};

export class EdgeStub {
  readonly secret: string;
  readonly puts: RecordedPut[] = [];
  readonly callbacks: RecordedCallback[] = [];
  readonly inputGets: string[] = [];
  /** multipart uploads by id, kept once completed (aborted ones are removed) */
  readonly uploads = new Map<string, StubUpload>();
  /** answer 503 to this part number of every upload */
  failPart: number | undefined;
  private readonly jobs = new Map<string, StubJob>();
  private server: Server | undefined;
  url = "";

  constructor(secret = "whsec_dGVzdC1jYWxsYmFjay1zZWNyZXQ=") {
    this.secret = secret;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request).then(
        ({ status, body, raw, contentType }) => {
          if (raw) {
            response.writeHead(status, { "content-type": contentType ?? "application/octet-stream" });
            response.end(raw);
            return;
          }
          response.writeHead(status, { "content-type": "application/json" });
          response.end(body === undefined ? undefined : JSON.stringify(body));
        },
        (error) => {
          response.writeHead(500).end(String(error));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Register a job's input; `inputFailures` are answered first (e.g. [503] for one 5xx). */
  addJob(
    id: string,
    input: Uint8Array,
    options: { contentType?: string; inputFailures?: number[]; status?: StubJob["status"] } = {},
  ): void {
    this.jobs.set(id, {
      input,
      contentType: options.contentType ?? "image/jpeg",
      inputFailures: [...(options.inputFailures ?? [])],
      status: options.status ?? "queued",
    });
  }

  /** The job message the edge would send for job `id`. */
  message(
    id: string,
    options: {
      mode?: JobMode;
      quality?: JobQuality;
      outputs?: JobOutputName[];
      createdAt?: Date;
      expiresAt?: Date;
      cancelAfter?: Date;
    } = {},
  ): JobMessage {
    const outputs: Partial<Record<JobOutputName, { url: string; content_type: string }>> = {};
    for (const name of options.outputs ?? ["mask"]) {
      outputs[name] = {
        url: `${this.url}/jobs/${id}/outputs/${name}?sig=test`,
        content_type: OUTPUT_CONTENT_TYPES[name],
      };
    }
    const job = this.jobs.get(id);
    return {
      version: 1,
      job_id: id,
      mode: options.mode ?? "learned",
      ...(options.quality ? { quality: options.quality } : {}),
      input: {
        url: `${this.url}/jobs/${id}/input?sig=test`,
        content_type: job?.contentType ?? "image/jpeg",
        bytes: job?.input.byteLength ?? 0,
      },
      // a test may ask for a message without the mask, which the consumer must refuse
      outputs: outputs as JobMessage["outputs"],
      callback: { url: `${this.url}/jobs/${id}/callback` },
      created_at: (options.createdAt ?? new Date()).toISOString(),
      expires_at: (options.expiresAt ?? new Date(Date.now() + 3600_000)).toISOString(),
      ...(options.cancelAfter ? { cancel_after_at: options.cancelAfter.toISOString() } : {}),
    };
  }

  status(id: string): StubJob["status"] | undefined {
    return this.jobs.get(id)?.status;
  }

  callbacksFor(id: string, status?: JobCallback["status"]): RecordedCallback[] {
    return this.callbacks.filter((c) => c.jobId === id && (!status || c.callback.status === status));
  }

  /** Callbacks the stub accepted (2xx) for a job, optionally of one status. */
  accepted(id: string, status?: JobCallback["status"]): JobCallback[] {
    return this.callbacksFor(id, status)
      .filter((c) => c.status < 300)
      .map((c) => c.callback);
  }

  putsFor(id: string, name?: string): RecordedPut[] {
    return this.puts.filter((p) => p.jobId === id && (!name || p.name === name));
  }

  private async handle(
    request: IncomingMessage,
  ): Promise<{ status: number; body?: unknown; raw?: Uint8Array; contentType?: string }> {
    const url = new URL(request.url ?? "/", this.url);
    const [, kind, id, what, name] = url.pathname.split("/");
    const job = kind === "jobs" ? this.jobs.get(id) : undefined;
    const error = (status: number, code: string) => ({ status, body: { error: { code, message: code } } });
    if (!job) return error(404, "not_found");
    const final = job.status === "succeeded" || job.status === "failed";

    if (request.method === "GET" && what === "input") {
      this.inputGets.push(id);
      if (final) return error(409, "already_completed");
      const failure = job.inputFailures.shift();
      if (failure) return error(failure, "injected_failure");
      return { status: 200, raw: job.input, contentType: job.contentType };
    }
    if (what === "outputs") {
      const body = await readBody(request);
      if (final) return error(409, "already_completed");
      const uploadId = url.searchParams.get("upload_id");
      const upload = uploadId ? this.uploads.get(uploadId) : undefined;
      if (uploadId && !upload) return error(400, "no_such_upload");
      if (request.method === "PUT" && !upload) {
        this.puts.push({ jobId: id, name, contentType: request.headers["content-type"] ?? "", body });
        return { status: 204 };
      }
      if (request.method === "POST" && url.searchParams.has("uploads")) {
        const created = `upload-${this.uploads.size + 1}`;
        const contentType = request.headers["content-type"] ?? "";
        this.uploads.set(created, { jobId: id, name, contentType, parts: new Map(), done: false });
        return { status: 200, body: { upload_id: created } };
      }
      if (request.method === "PUT" && upload) {
        const n = Number(url.searchParams.get("part_number"));
        if (n === this.failPart) return error(503, "injected_failure");
        upload.parts.set(n, body);
        return { status: 200, body: { part_number: n, etag: `etag-${n}` } };
      }
      if (request.method === "POST" && upload) {
        const { parts } = JSON.parse(new TextDecoder().decode(body)) as { parts: UploadedPart[] };
        const bytes = Buffer.concat(parts.map((p) => upload.parts.get(p.part_number)!));
        upload.done = true;
        this.puts.push({ jobId: id, name, contentType: upload.contentType, body: new Uint8Array(bytes) });
        return { status: 204 };
      }
      if (request.method === "DELETE" && upload) {
        this.uploads.delete(uploadId!);
        return { status: 204 };
      }
    }
    if (request.method === "POST" && what === "callback") {
      const raw = new TextDecoder().decode(await readBody(request));
      const callback = JSON.parse(raw) as JobCallback;
      const answer = (status: number, code?: string) => {
        this.callbacks.push({ jobId: id, callback, status });
        return code ? error(status, code) : { status, body: { ok: true } };
      };
      if (!verifyCallbackIndependently(this.secret, request.headers, raw))
        return answer(401, "invalid_signature");
      if (callback.job_id !== id) return answer(400, "job_mismatch");
      if (final) return answer(409, "already_completed");
      if (callback.status === "succeeded") {
        const missing = callback.result.outputs.some((o) => !this.putsFor(id, o).length);
        if (missing) return answer(409, "missing_outputs");
      }
      // a progress report changes no status (the edge stores it beside the status)
      if (callback.status !== "progress") job.status = callback.status;
      return answer(200);
    }
    return error(404, "not_found");
  }
}
