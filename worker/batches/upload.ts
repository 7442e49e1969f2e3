/**
 * Reading a batch's multipart body: the field `image` repeated, plus the option fields. The
 * byte cap holds while the body streams, and so does a count of its parts, so a body with far
 * too many images is cut off before it has been read, let alone stored.
 */
import { InputError } from "../../models/runtime/errors.ts";
import { ApiError } from "../errors/index.ts";
import { formFields, readCapped } from "../images/read-body.ts";
import { MAX_BATCH_BYTES, MAX_BATCH_ITEMS } from "./limits.ts";

/** Room for the option fields beside the images, and for boundaries and part headers. */
const MAX_OPTION_PARTS = 10;
const MULTIPART_OVERHEAD = 256 * 1024;

export const tooManyItems = () =>
  new ApiError(400, "too_many_items", `a batch holds at most ${MAX_BATCH_ITEMS} images`);

export interface BatchUpload {
  images: Uint8Array[];
  fields: Record<string, string>;
}

/** The body's images in order and its text fields (`lists`: fields that may repeat, see formFields). */
export async function readBatchUpload(
  request: Request,
  maxImageBytes: number,
  lists: readonly string[] = [],
): Promise<BatchUpload> {
  const contentType = request.headers.get("content-type") ?? "";
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new InputError("invalid_request", "the multipart/form-data body has no boundary");
  const cap = MAX_BATCH_BYTES + MULTIPART_OVERHEAD;
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > cap) throw batchTooLarge();
  const countParts = delimiterCounter(`--${boundary}`, MAX_BATCH_ITEMS + MAX_OPTION_PARTS + 1);
  let raw: Uint8Array;
  try {
    raw = await readCapped(request.body, cap, countParts, cap);
  } catch (error) {
    if (error instanceof InputError && error.code === "payload_too_large") throw batchTooLarge();
    throw error;
  }
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
  } catch {
    throw new InputError("invalid_request", "the multipart/form-data body is malformed");
  }
  const images: Uint8Array[] = [];
  for (const [index, file] of form.getAll("image").entries()) {
    if (typeof file === "string")
      throw new InputError("invalid_request", `image ${index}: the field "image" must be a file`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.byteLength > maxImageBytes)
      throw new InputError(
        "payload_too_large",
        `image ${index}: larger than the limit of ${maxImageBytes} bytes`,
      );
    images.push(bytes);
  }
  if (images.length === 0)
    throw new InputError("invalid_request", 'the multipart body has no file field named "image"');
  if (images.length > MAX_BATCH_ITEMS) throw tooManyItems();
  return { images, fields: formFields(form, "image", lists) };
}

const batchTooLarge = () =>
  new InputError("payload_too_large", `a batch's images may have at most ${MAX_BATCH_BYTES} bytes together`);

/**
 * A chunk inspector that counts occurrences of `delimiter` across chunk edges and throws
 * too_many_items once there are more than `max` (each part starts with one; one more ends the body).
 */
function delimiterCounter(delimiter: string, max: number): (chunk: Uint8Array) => void {
  const needle = new TextEncoder().encode(delimiter);
  let tail = new Uint8Array(0);
  let seen = 0;
  return (chunk) => {
    const hay = new Uint8Array(tail.byteLength + chunk.byteLength);
    hay.set(tail);
    hay.set(chunk, tail.byteLength);
    let from = 0;
    for (;;) {
      const at = indexOf(hay, needle, from);
      if (at < 0) break;
      seen++;
      from = at + needle.byteLength;
    }
    if (seen > max) throw tooManyItems();
    // Keep what could be the start of a delimiter cut by the chunk's end (and nothing already counted).
    tail = hay.slice(Math.max(from, hay.byteLength - (needle.byteLength - 1)));
  };
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  for (
    let i = hay.indexOf(first, from);
    i >= 0 && i <= hay.byteLength - needle.byteLength;
    i = hay.indexOf(first, i + 1)
  ) {
    let j = 1;
    while (j < needle.byteLength && hay[i + j] === needle[j]) j++;
    if (j === needle.byteLength) return i;
  }
  return -1;
}
