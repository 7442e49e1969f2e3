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
 * chunk as it arrives and may throw to stop keeping it (e.g. a batch counting its parts): the
 * rest of the body, up to `maxBytes` in all, is then read and dropped before the error goes
 * up, so the answer goes out after the request has arrived. An answer sent while the client
 * is still sending is lost on the way: `wrangler dev`'s proxy turned the JSON 400 into a 500
 * with a stack trace (issue #29), and clients that write the whole body before reading see a
 * reset. A request body over `maxBytes` is drained the same way for up to `drainOverBytes`
 * more (0: cut at once, as a fetched response's is: that sender is no client of ours).
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  inspect?: (chunk: Uint8Array) => void,
  drainOverBytes = 0,
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
      if (drainOverBytes > 0) await drain(reader, drainOverBytes);
      else await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    if (inspect) {
      try {
        inspect(value);
      } catch (error) {
        await drain(reader, maxBytes - total);
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

/** Read and drop the rest of a body, at most `budget` more bytes (then cancel it). */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<void> {
  try {
    for (let left = budget; ; ) {
      const { done, value } = await reader.read();
      if (done) return;
      left -= value.byteLength;
      if (left < 0) break;
    }
  } catch {
    return; // the client went away: nobody to answer
  }
  await reader.cancel().catch(() => {});
}

/** Parsed multipart fields: the image bytes plus any text fields. */
export interface ImageUpload {
  bytes: Uint8Array;
  fields: Record<string, string>;
}

/**
 * The text fields of a multipart form, none dropped (issue #29): a field given more than once
 * is refused with 400, unless it is one of `lists`, whose values are joined with commas (the
 * list syntax the options take: `-F outputs=rle -F outputs=overlay` means both). A file part
 * other than `fileField` is refused too. `fileField` itself is the caller's.
 */
export function formFields(
  form: FormData,
  fileField: string,
  lists: readonly string[] = [],
): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const key of new Set(form.keys())) {
    if (key === fileField) continue;
    const values = form.getAll(key);
    if (values.some((v) => typeof v !== "string"))
      throw new InputError("invalid_request", `the field "${key}" must be text, not a file`);
    const texts = values as string[];
    if (texts.length === 1) fields[key] = texts[0];
    else if (!lists.includes(key))
      throw new InputError(
        "invalid_request",
        `the field "${key}" was given ${texts.length} times: give it once`,
      );
    else if (texts.some((v) => v.trim().startsWith("[")))
      throw new InputError(
        "invalid_request",
        `the field "${key}" was given ${texts.length} times with a JSON array among them: give the whole list once, or one value per field`,
      );
    else fields[key] = texts.join(",");
  }
  return fields;
}

/**
 * The image of an upload: the raw body, or the one `image` part of multipart/form-data with
 * its text fields (`lists`: as formFields). Two `image` parts are 400: a job has one image.
 */
export async function readImageUpload(
  request: Request,
  limits: ReadLimits,
  lists: readonly string[] = [],
): Promise<ImageUpload> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  // Multipart adds boundaries and headers: allow a little room over the image limit.
  const cap = type === "multipart/form-data" ? limits.maxBytes + 64 * 1024 : limits.maxBytes;
  if (Number.isFinite(declared) && declared > cap) throw tooLarge(limits.maxBytes);
  if (RAW_TYPES.has(type)) {
    return { bytes: await readCapped(request.body, cap, undefined, cap), fields: {} };
  }
  if (type === "multipart/form-data") {
    const raw = await readCapped(request.body, cap, undefined, cap);
    let form: FormData;
    try {
      form = await new Response(raw, {
        headers: { "content-type": request.headers.get("content-type")! },
      }).formData();
    } catch {
      throw new InputError("invalid_request", "the multipart/form-data body is malformed");
    }
    const parts = form.getAll("image");
    if (parts.length > 1)
      throw new InputError(
        "invalid_request",
        `the multipart body has ${parts.length} parts named "image": a job takes one (POST /v1/batches takes several)`,
      );
    const file = parts[0] ?? null;
    if (file === null || typeof file === "string") {
      throw new InputError("invalid_request", 'the multipart body has no file field named "image"');
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.byteLength > limits.maxBytes) throw tooLarge(limits.maxBytes);
    return { bytes, fields: formFields(form, "image", lists) };
  }
  throw new InputError(
    "unsupported_media_type",
    `Content-Type must be ${IMAGE_CONTENT_TYPES.join(", ")} or multipart/form-data (got "${type || "none"}")`,
  );
}
