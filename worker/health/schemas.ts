/** The schemas of GET /v1/health and GET /v1/models. */
import { z } from "@hono/zod-openapi";
import { component, count, Rgb } from "../openapi/schemas.ts";

export const Health = component(
  "Health",
  z.object({ status: z.literal("ok"), environment: z.string().describe("`development` or `production`") }),
  "The edge tier is up.",
);

export const ModelInfo = component(
  "Model",
  z.object({
    id: z.string(),
    role: z
      .enum(["preview", "jobs"])
      .describe(
        "`preview`: the model behind POST /v1/preview (this Worker); `jobs`: behind /v1/jobs (the GPU tier)",
      ),
    variant: z.string().describe("fcn32s, fcn16s or fcn8s"),
    backbone: z.string(),
    quantization: z
      .enum(["fp32", "fp16", "int8"])
      .describe("storage of the weights; `fp16` stores them at half size and computes in fp32"),
    bytes: count().describe("size of the ONNX file"),
    resolution: z
      .object({ width: z.number().int().positive(), height: z.number().int().positive() })
      .nullable()
      .describe("size the input is resized to before inference; null: the input's own size"),
    loaded: z
      .boolean()
      .nullable()
      .describe("whether this isolate has created the session yet; null for the GPU tier's model"),
    classes: z.array(z.object({ name: z.string(), color: Rgb })).describe("class id = index"),
    trained_on: z
      .string()
      .describe("CamVid split the model trained on: `train`, or `train+val` (every labelled frame)"),
    val: z
      .record(z.string(), z.number())
      .nullable()
      .describe(
        "CamVid val metrics (fractions); for a model trained on `train+val`, those of the same recipe's held-out-drive run",
      ),
    held_out_drive: z
      .object({ drive: z.string() })
      .catchall(z.number())
      .nullable()
      .describe(
        "metrics on a CamVid drive left out of training, the closest proxy for streets the model never saw; " +
          "for a model trained on `train+val`, of the same recipe trained without that drive. null: not measured",
      ),
  }),
  "A model served by the edge (preview) or the GPU tier (jobs).",
);

export const ModelList = component("ModelList", z.object({ models: z.array(ModelInfo) }), "Models served.");
