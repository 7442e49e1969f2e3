/**
 * What the Worker does with a request body, run in Node with the same modules: read-body ->
 * decodeImage for /v1/preview (segmentation left out); for /v1/jobs either multipart
 * (read-body -> header -> limits -> options) or JSON (the capped object -> image_url ->
 * options -> the image_url fetch under the development policy, as `npm start` runs ->
 * header -> limits), anything else 415 as the Worker answers; and for an accepted job what
 * the GPU service's decode will say. Anything but an InputError, the Worker's ApiError (the
 * image_url fetch's refusals) or the webhook policy's refusal escapes: that is a bug.
 */

import { readFileSync } from "node:fs";
import { decodeImage } from "../../models/runtime/decode.ts";
import { InputError } from "../../models/runtime/errors.ts";
import { FULL_LIMITS, JOB_LIMITS, PREVIEW_LIMITS } from "../../models/runtime/limits.ts";
import { readModelMetadata } from "../../models/runtime/model-metadata.ts";
import { checkWebhookUrl, UnsafeWebhookUrl } from "../../worker/net/url-policy.ts";
import type { CorpusCase } from "../fixtures/corpus.ts";
import {
  ApiError,
  checkJobImage,
  fetchImageUrl,
  imageUrlOf,
  optionFieldsFromJson,
  parseJobOptions,
  readImageUpload,
  readJsonObject,
} from "./worker-modules.ts";

/**
 * mozjpeg prints libjpeg's warnings and errors ("Premature end of JPEG file") with
 * console.error, bound when the codecs start: call this before initNodeCodecs() to keep test
 * output readable. The decoder's verdict still comes through decodeImage.
 */
export function quietCodecChatter(): void {
  const error = console.error;
  const chatter =
    /^(Premature end|Corrupt JPEG|Bogus|Invalid|Unsupported|Sorry|Huffman|Quantization|Not a JPEG|Improper|Unknown|Didn't|Empty|Bad|Warning|Inconsistent|Maximum)/;
  console.error = (...args: unknown[]) => {
    if (args.length === 1 && typeof args[0] === "string" && chatter.test(args[0])) return;
    error(...args);
  };
}

export interface Outcome {
  status: number;
  code: string | null;
  size?: [number, number];
  job?: { status: "succeeded" | "failed"; code?: string; size?: [number, number] };
}

/** The body as a stream of 64 KiB chunks (no Content-Length is sent for it). */
function chunkedBody(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + 65536));
      at += 65536;
    },
  });
}

export function requestFor(c: CorpusCase, origin = "http://edge.test"): Request {
  const headers = new Headers();
  if (c.contentType !== null) headers.set("content-type", c.contentType);
  // `duplex` is required by fetch for stream bodies; the DOM typing does not know it yet.
  const init: RequestInit & { duplex?: "half" } = { method: "POST", headers };
  if (c.chunked) {
    init.body = chunkedBody(c.bytes);
    init.duplex = "half";
  } else {
    init.body = c.bytes as Uint8Array<ArrayBuffer>;
  }
  return new Request(`${origin}${c.route}`, init);
}

const refusal = (error: unknown): Outcome => {
  if (error instanceof InputError) return { status: error.status, code: error.code };
  if (error instanceof UnsafeWebhookUrl) return { status: 400, code: "invalid_webhook_url" };
  if (error instanceof ApiError) return { status: error.status, code: error.code };
  throw error;
};

let resolution: { width: number; height: number } | undefined;
/** The edge model's fixed input size, which the preview route decodes for. */
function edgeResolution() {
  resolution ??=
    readModelMetadata(new Uint8Array(readFileSync("models/fcn32s-edge-int8.onnx"))).resolution ?? undefined;
  return resolution;
}

/** The answer the Worker's code path gives for this case, computed in Node. */
export async function classifyInNode(c: CorpusCase): Promise<Outcome> {
  const request = requestFor(c);
  if (c.route === "/v1/preview") {
    try {
      const { bytes } = await readImageUpload(request, PREVIEW_LIMITS);
      // As the route does: nothing past the edge model's input size (a large JPEG at 1/8).
      const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: edgeResolution() });
      return { status: 200, code: null, size: [image.width, image.height] };
    } catch (error) {
      return refusal(error);
    }
  }
  let bytes: Uint8Array;
  try {
    const type = (c.contentType ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "multipart/form-data" && type !== "application/json")
      throw new InputError("unsupported_media_type", "multipart/form-data or application/json only");
    if (type === "multipart/form-data") {
      const upload = await readImageUpload(request, JOB_LIMITS);
      checkJobImage(upload.bytes);
      const options = parseJobOptions(upload.fields);
      if (options.webhookUrl) await checkWebhookUrl(options.webhookUrl, { development: true });
      bytes = upload.bytes;
    } else {
      // The URL and the options are checked before anything is fetched, as in the Worker.
      const body = await readJsonObject(request);
      const imageUrl = imageUrlOf(body.image_url);
      const options = parseJobOptions(optionFieldsFromJson(body, ["image_url"]));
      if (options.webhookUrl) await checkWebhookUrl(options.webhookUrl, { development: true });
      bytes = await fetchImageUrl(imageUrl, { development: true }, JOB_LIMITS.maxBytes);
      checkJobImage(bytes);
    }
  } catch (error) {
    return refusal(error);
  }
  try {
    const image = await decodeImage(bytes, FULL_LIMITS);
    return { status: 202, code: null, job: { status: "succeeded", size: [image.width, image.height] } };
  } catch (error) {
    const { code } = refusal(error);
    return { status: 202, code: null, job: { status: "failed", code: code ?? undefined } };
  }
}

/** The outcome a case documents, in the shape classifyInNode returns. */
export function expected(c: CorpusCase): Outcome {
  const out: Outcome = { status: c.expectedStatus, code: c.expectedCode };
  if (c.expectedSize) out.size = c.expectedSize;
  if (c.expectedJob) out.job = c.expectedJob;
  return out;
}
