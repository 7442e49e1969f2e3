/** POST /v1/preview: a fast, low-resolution segmentation at the edge. */
import { Hono } from "hono";
import { decodeImage } from "../../models/runtime/decode.ts";
import { PREVIEW_LIMITS } from "../../models/runtime/limits.ts";
import { encodeLabelMapPng } from "../../models/runtime/png.ts";
import { prepareInput, segmentPrepared } from "../../models/runtime/segment.ts";
import { labelMapFractions } from "../../models/runtime/tensor.ts";
import { ApiError } from "../errors/index.ts";
import { ensureCodecs } from "../images/codecs.ts";
import { readImageUpload } from "../images/read-body.ts";
import { edgeModel } from "../inference/edge-model.ts";

export const preview = new Hono<{ Bindings: Env }>();

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
  const image = await decodeImage(bytes, PREVIEW_LIMITS);
  const model = await edgeModel();
  const t2 = performance.now();
  const prepared = prepareInput(model, image);
  return { model, prepared, orientation: image.orientation, read: t1 - t0, decode: t2 - t1 };
}

preview.post("/", async (c) => {
  const format = c.req.query("format") ?? "png";
  if (format !== "png" && format !== "json") {
    throw new ApiError(400, "invalid_request", 'format must be "png" or "json"');
  }
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
