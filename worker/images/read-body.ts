/**
 * Read an uploaded image: raw bytes (IMAGE_CONTENT_TYPES: JPEG, PNG, WebP, HEIC, AVIF) or the `image` field
 * of multipart/form-data. The size limit is enforced before and while reading, so a huge or
 * endless body is cut off without being buffered.
 */
import { InputError } from "../../models/runtime/errors.ts";
import { IMAGE_CONTENT_TYPES } from "../../models/runtime/image-info.ts";

const RAW_TYPES = new Set<string>(IMAGE_CONTENT_TYPES);

export interface ReadLimits {
  maxBytes: number;
}

/**
 * Read a stream into memory, failing as soon as it passes `maxBytes`. `inspect` sees each
 * chunk as it arrives and may throw to stop reading (e.g. a batch counting its parts).
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  inspect?: (chunk: Uint8Array) => void,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The client went away or the stream broke: its problem, not a server fault.
      throw new InputError("invalid_request", "the request body could not be read to the end");
    }
    const { done, value } = chunk;
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    if (inspect) {
      try {
        inspect(value);
      } catch (error) {
        await reader.cancel().catch(() => {});
        throw error;
      }
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const tooLarge = (maxBytes: number) =>
  new InputError("payload_too_large", `the body is larger than the limit of ${maxBytes} bytes`);

/** Parsed multipart fields: the image bytes plus any text fields. */
export interface ImageUpload {
  bytes: Uint8Array;
  fields: Record<string, string>;
}

export async function readImageUpload(request: Request, limits: ReadLimits): Promise<ImageUpload> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  // Multipart adds boundaries and headers: allow a little room over the image limit.
  const cap = type === "multipart/form-data" ? limits.maxBytes + 64 * 1024 : limits.maxBytes;
  if (Number.isFinite(declared) && declared > cap) throw tooLarge(limits.maxBytes);
  if (RAW_TYPES.has(type)) {
    return { bytes: await readCapped(request.body, cap), fields: {} };
  }
  if (type === "multipart/form-data") {
    const raw = await readCapped(request.body, cap);
    let form: FormData;
    try {
      form = await new Response(raw, {
        headers: { "content-type": request.headers.get("content-type")! },
      }).formData();
    } catch {
      throw new InputError("invalid_request", "the multipart/form-data body is malformed");
    }
    const file = form.get("image");
    if (file === null || typeof file === "string") {
      throw new InputError("invalid_request", 'the multipart body has no file field named "image"');
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.byteLength > limits.maxBytes) throw tooLarge(limits.maxBytes);
    const fields: Record<string, string> = {};
    form.forEach((value, key) => {
      if (typeof value === "string") fields[key] = value;
    });
    return { bytes, fields };
  }
  throw new InputError(
    "unsupported_media_type",
    `Content-Type must be ${IMAGE_CONTENT_TYPES.join(", ")} or multipart/form-data (got "${type || "none"}")`,
  );
}
