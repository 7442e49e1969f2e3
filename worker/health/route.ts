/** GET /v1/health and GET /v1/models. */
import { Hono } from "hono";
import edgeModelBytes from "../../models/fcn32s-edge-int8.onnx";
import { edgeModelLoaded, edgeModelMeta } from "../inference/edge-model.ts";
import { jobsModelMeta } from "../inference/jobs-model.ts";

export const health = new Hono<{ Bindings: Env }>();

health.get("/health", (c) => c.json({ status: "ok", environment: c.env.ENVIRONMENT }));

health.get("/models", (c) =>
  c.json({
    models: [
      {
        id: edgeModelMeta.id,
        role: "preview",
        variant: edgeModelMeta.variant,
        backbone: edgeModelMeta.backbone,
        quantization: edgeModelMeta.quantization,
        bytes: edgeModelBytes.byteLength,
        resolution: edgeModelMeta.resolution,
        loaded: edgeModelLoaded(),
        classes: edgeModelMeta.classes,
        val: edgeModelMeta.val ?? null,
      },
      {
        id: jobsModelMeta.id,
        role: "jobs",
        variant: jobsModelMeta.variant,
        backbone: jobsModelMeta.backbone,
        quantization: jobsModelMeta.quantization,
        bytes: jobsModelMeta.bytes,
        resolution: jobsModelMeta.resolution,
        // It runs on the GPU tier, not in this isolate.
        loaded: null,
        classes: jobsModelMeta.classes,
        val: jobsModelMeta.val ?? null,
      },
    ],
  }),
);
