/** POST /v1/preview: a fast, low-resolution segmentation at the edge. */
import { createRoute } from "@hono/zod-openapi";
import { decodeImage } from "../../models/runtime/decode.ts";
import { PREVIEW_LIMITS } from "../../models/runtime/limits.ts";
import { encodeLabelMapPng } from "../../models/runtime/png.ts";
import { prepareInput, segmentPrepared } from "../../models/runtime/segment.ts";
import { labelMapFractions } from "../../models/runtime/tensor.ts";
import { ensureCodecs } from "../images/codecs.ts";
import { readImageUpload } from "../images/read-body.ts";
import { edgeModel } from "../inference/edge-model.ts";
import { createApp } from "../openapi/app.ts";
import { errors, header, IMAGE_BODY, imageUploadErrors, MASK_PNG } from "../openapi/responses.ts";
import { PREVIEW_RATE_LIMITS, previewRateLimit } from "./limit.ts";
import { PreviewForm, PreviewQuery, PreviewResult } from "./schemas.ts";

export const preview = createApp();

/**
 * Read, decode and resize to the network's input: the only stretch that holds the body and
 * the full-size pixels. It is its own async function so that both are garbage as soon as it
 * returns, before inference: an async function keeps its locals alive across every await, and
 * the isolate's 128 MB cannot hold a photo's pixels for the whole request.
 */
async function readAndPrepare(request: Request) {
  const t0 = performance.now();
  const { bytes } = await readImageUpload(request, PREVIEW_LIMITS);
  const t1 = performance.now();
  const model = await edgeModel();
  // The network runs at its fixed resolution: a large JPEG need not be decoded past it.
  const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: model.meta.resolution ?? undefined });
  const t2 = performance.now();
  const prepared = prepareInput(model, image);
  return { model, prepared, orientation: image.orientation, read: t1 - t0, decode: t2 - t1 };
}

const route = createRoute({
  method: "post",
  path: "/",
  tags: ["preview"],
  operationId: "preview",
  summary: "Segment an image now, at low resolution",
  description:
    "Runs the int8 edge model in the Worker and answers the mask at the input's size (after EXIF " +
    "orientation). Send the image as the raw body or as the `image` field of multipart/form-data. " +
    `Limits: ${PREVIEW_LIMITS.maxBytes / (1024 * 1024)} MiB. A baseline or progressive JPEG (greyscale or ` +
    "colour) at least 2560x1920 is decoded at 1/8 scale from its DC coefficients, which is all a " +
    `320x240 preview needs: such JPEGs may have up to ${PREVIEW_LIMITS.scaled.maxPixels / 1e6} megapixels ` +
    `(${PREVIEW_LIMITS.scaled.maxSide} per side), so 12 and 48 MP phone photos are served. A HEIC is decoded ` +
    "to YCbCr and averaged down to what the preview needs: a grid HEIC (as iPhones store photos, in 512x512 " +
    `tiles) one tile at a time, up to the same ${PREVIEW_LIMITS.scaled.maxPixels / 1e6} megapixels, so 12, 24 and 48 MP ` +
    "iPhone photos are served; any other HEIC whole, up to about 15 MP. Every other image " +
    `is decoded whole: ${PREVIEW_LIMITS.maxPixels / 1e6} megapixels, ${PREVIEW_LIMITS.maxSide} pixels per side, ` +
    "and what its decoder needs must fit the Worker's memory: 3000x2000 (6 MP) fits in every common coding " +
    "(PNG, lossy WebP, HEIC); progressive 4:4:4 JPEGs below 2560x1920 and lossless or alpha WebPs fit at about " +
    "4 to 5 MP, AVIF at about 4 MP. A larger image is refused with 422 `too_many_pixels`, whose message says " +
    "how many megapixels that kind of image may have: downscale it, or use POST /v1/jobs for full-size images. No key is needed: anonymous " +
    `previews are limited to ${PREVIEW_RATE_LIMITS.anonymous.limit} per ${PREVIEW_RATE_LIMITS.anonymous.periodS} s ` +
    `per client address; with an API key, ${PREVIEW_RATE_LIMITS.apiKey.limit} per ${PREVIEW_RATE_LIMITS.apiKey.periodS} s ` +
    "per key (429 rate_limited with Retry-After beyond).",
  // The key is optional: it raises the rate limit.
  security: [{}, { apiKey: [] }] as Record<string, string[]>[],
  middleware: [previewRateLimit] as const,
  request: {
    query: PreviewQuery,
    // Described, not validated here: the route reads the body itself, capped while it streams.
    body: {
      required: true,
      content: {
        ...IMAGE_BODY,
        "multipart/form-data": { schema: { $ref: "#/components/schemas/PreviewForm" } },
      },
    },
  },
  responses: {
    200: {
      description: "`format=png`: the mask; `format=json`: a summary per class",
      content: { "image/png": MASK_PNG, "application/json": { schema: PreviewResult } },
      headers: {
        "Server-Timing": header("read, decode, resize, inference, postprocess and encode durations (ms)"),
        "X-Model": header("the model's id (PNG answers)"),
      },
    },
    ...errors({
      ...imageUploadErrors(PREVIEW_LIMITS),
      401: { codes: ["unauthorized"], description: "an Authorization header with an unknown or revoked key" },
      429: {
        codes: ["rate_limited"],
        description: "too many previews from this address, or with this key, in the period",
        headers: { "Retry-After": header("seconds to wait: the limit's period", "integer") },
      },
    }),
  },
});

/** The multipart form is described by reference: register its schema with the route's app. */
preview.openAPIRegistry.register("PreviewForm", PreviewForm);

preview.openapi(route, async (c) => {
  const { format } = c.req.valid("query");
  ensureCodecs();
  const { model, prepared, orientation, read, decode } = await readAndPrepare(c.req.raw);
  const result = await segmentPrepared(model, prepared);
  const t3 = performance.now();
  const timings = {
    read,
    decode,
    resize: result.timings.resize,
    inference: result.timings.inference,
    postprocess: result.timings.postprocess,
    encode: 0,
  };
  const serverTiming = () =>
    Object.entries(timings)
      .map(([k, v]) => `${k};dur=${v.toFixed(1)}`)
      .join(", ");
  if (format === "json") {
    const fractions = labelMapFractions(result, model.meta.classes.length);
    return c.json(
      {
        model: model.meta.id,
        width: result.width,
        height: result.height,
        inference: result.inference,
        orientation,
        classes: model.meta.classes.map((cls, id) => ({
          id,
          name: cls.name,
          color: cls.color,
          fraction: fractions[id],
        })),
        timings_ms: timings,
      },
      200,
      { "Server-Timing": serverTiming() },
    );
  }
  const palette = model.meta.classes.map((cls) => cls.color);
  // The mask at the photo's displayed size, upscaled from the network's labels while deflating.
  const png = await encodeLabelMapPng(result, palette);
  timings.encode = performance.now() - t3;
  return c.body(png as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": "image/png",
    "Server-Timing": serverTiming(),
    "X-Model": model.meta.id,
  });
});
