/**
 * Writing a job's outputs into R2 from the GPU tier's requests, streamed: a body goes from
 * the request to storage without ever being held whole, so the Worker's 128 MB does not
 * bound an output's size. Outputs over one part arrive as an R2 multipart upload (the
 * protocol is described beside OUTPUT_PART_BYTES in protocol/jobs.ts).
 */
import { MAX_OUTPUT_PARTS, OUTPUT_PART_BYTES, type UploadedPart } from "../../protocol/jobs.ts";
import { ApiError } from "../errors/index.ts";
import { readCapped } from "../images/read-body.ts";

/**
 * The request's body as a stream of known length, which R2 needs to store it without
 * buffering. A body that ends early or runs long errors the stream, and so the write.
 */
function knownLengthBody(request: Request, maxBytes: number): ReadableStream<Uint8Array> {
  const header = request.headers.get("content-length");
  const length = Number(header);
  if (header === null || header.trim() === "" || !Number.isSafeInteger(length) || length < 0) {
    throw new ApiError(411, "length_required", "an output body needs a Content-Length");
  }
  if (length === 0 || !request.body) throw new ApiError(400, "empty_body", "the output is empty");
  if (length > maxBytes) {
    throw new ApiError(
      413,
      "payload_too_large",
      `a body may carry at most ${maxBytes} bytes; send larger outputs in parts`,
    );
  }
  const fixed = new FixedLengthStream(length);
  // Errors surface through the readable side, where the R2 write fails with them.
  request.body.pipeTo(fixed.writable).catch(() => {});
  return fixed.readable;
}

/** Store a whole output from one request. */
export async function putOutput(bucket: R2Bucket, key: string, request: Request): Promise<void> {
  const body = knownLengthBody(request, OUTPUT_PART_BYTES);
  await bucket.put(key, body, {
    httpMetadata: { contentType: request.headers.get("content-type") ?? "application/octet-stream" },
  });
}

/** Start a multipart upload of an output; its id names it in every later request. */
export async function createUpload(bucket: R2Bucket, key: string, contentType: string): Promise<string> {
  const upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType } });
  return upload.uploadId;
}

function partNumber(raw: string | undefined): number {
  const n = Number(raw);
  if (!raw || !Number.isInteger(n) || n < 1 || n > MAX_OUTPUT_PARTS) {
    throw new ApiError(400, "invalid_request", `part_number must be 1 to ${MAX_OUTPUT_PARTS}`);
  }
  return n;
}

/** Store one part of an upload, streamed. */
export async function uploadPart(
  bucket: R2Bucket,
  key: string,
  uploadId: string,
  rawPartNumber: string | undefined,
  request: Request,
): Promise<UploadedPart> {
  const n = partNumber(rawPartNumber);
  const body = knownLengthBody(request, OUTPUT_PART_BYTES);
  const part = await bucket.resumeMultipartUpload(key, uploadId).uploadPart(n, body);
  return { part_number: part.partNumber, etag: part.etag };
}

/** Join the parts the request lists (`{ parts: UploadedPart[] }`) into the output. */
export async function completeUpload(
  bucket: R2Bucket,
  key: string,
  uploadId: string,
  request: Request,
): Promise<void> {
  const text = new TextDecoder().decode(await readCapped(request.body, 64 * 1024));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_request", "the body must be JSON: { parts }");
  }
  const parts = (body as { parts?: unknown } | null)?.parts;
  if (
    !Array.isArray(parts) ||
    parts.length === 0 ||
    parts.length > MAX_OUTPUT_PARTS ||
    !parts.every((p: Partial<UploadedPart>) => typeof p?.etag === "string")
  ) {
    throw new ApiError(400, "invalid_request", "parts must list every uploaded { part_number, etag }");
  }
  const list = (parts as UploadedPart[]).map((p) => ({
    partNumber: partNumber(String(p.part_number)),
    etag: p.etag,
  }));
  await bucket.resumeMultipartUpload(key, uploadId).complete(list);
}

/** Give up an upload: R2 drops its parts. */
export async function abortUpload(bucket: R2Bucket, key: string, uploadId: string): Promise<void> {
  await bucket.resumeMultipartUpload(key, uploadId).abort();
}
