/** The schemas of POST /v1/preview: its query, its multipart form and its JSON answer. */
import { z } from "@hono/zod-openapi";
import { PREVIEW_LIMITS } from "../../models/runtime/limits.ts";
import { component, count, imageFile, Rgb } from "../openapi/schemas.ts";

export const PreviewQuery = z.object({
  format: z
    .enum(["png", "json"], { error: () => 'format must be "png" or "json"' })
    .default("png")
    .describe("`png`: the mask as a palette PNG; `json`: class fractions and timings"),
});

export const PreviewResult = component(
  "PreviewResult",
  z.object({
    model: z.string(),
    width: z.number().int().positive().describe("mask width (the input's, after EXIF orientation)"),
    height: z.number().int().positive(),
    inference: z
      .object({ width: z.number().int().positive(), height: z.number().int().positive() })
      .describe("size the model ran at"),
    orientation: z.number().int().min(1).max(8).describe("EXIF orientation that was applied (1 = none)"),
    classes: z.array(
      z.object({
        id: count(),
        name: z.string(),
        color: Rgb,
        fraction: z.number().min(0).max(1).describe("share of the mask's pixels"),
      }),
    ),
    timings_ms: z.object({
      read: z.number(),
      decode: z.number(),
      resize: z.number(),
      inference: z.number(),
      postprocess: z.number(),
      encode: z.number(),
    }),
  }),
  "POST /v1/preview?format=json: the segmentation summarised per class.",
);

export const PreviewForm = component(
  "PreviewForm",
  z.object({ image: imageFile(PREVIEW_LIMITS) }),
  "multipart/form-data body of POST /v1/preview (other fields are ignored).",
);
