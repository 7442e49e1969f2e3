/** POST /v1/preview: a fast, low-resolution segmentation at the edge. */
import { Hono } from "hono";
import { decodeImage } from "../../models/runtime/decode.ts";
import { PREVIEW_LIMITS } from "../../models/runtime/limits.ts";
import { encodePalettePng } from "../../models/runtime/png.ts";
import { segment } from "../../models/runtime/segment.ts";
import { classFractions } from "../../models/runtime/tensor.ts";
import { ApiError } from "../errors/index.ts";
import { ensureCodecs } from "../images/codecs.ts";
import { readImageUpload } from "../images/read-body.ts";
import { edgeModel } from "../inference/edge-model.ts";

export const preview = new Hono<{ Bindings: Env }>();

preview.post("/", async (c) => {
  const format = c.req.query("format") ?? "png";
  if (format !== "png" && format !== "json") {
    throw new ApiError(400, "invalid_request", 'format must be "png" or "json"');
  }
  const t0 = performance.now();
  const [{ bytes }] = await Promise.all([readImageUpload(c.req.raw, PREVIEW_LIMITS), ensureCodecs()]);
  const t1 = performance.now();
  const image = await decodeImage(bytes, PREVIEW_LIMITS);
  const model = await edgeModel();
  const t2 = performance.now();
  const result = await segment(model, image);
  const t3 = performance.now();
  const timings = {
    read: t1 - t0,
    decode: t2 - t1,
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
    const fractions = classFractions(result.labels, model.meta.classes.length);
    return c.json(
      {
        model: model.meta.id,
        width: result.width,
        height: result.height,
        inference: result.inference,
        orientation: image.orientation,
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
  const png = encodePalettePng(result.labels, result.width, result.height, palette);
  timings.encode = performance.now() - t3;
  return c.body(png as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": "image/png",
    "Server-Timing": serverTiming(),
    "X-Model": model.meta.id,
  });
});
