/** GET /v1/health and GET /v1/models. */
import { createRoute } from "@hono/zod-openapi";
import edgeModelBytes from "../../models/fcn32s-edge-int8.onnx";
import type { ModelMetadata } from "../../models/runtime/model-metadata.ts";
import { edgeModelLoaded, edgeModelMeta } from "../inference/edge-model.ts";
import { jobsModelMeta } from "../inference/jobs-model.ts";
import { createApp } from "../openapi/app.ts";
import { errors } from "../openapi/responses.ts";
import { Health, ModelList } from "./schemas.ts";

export const health = createApp();

/** What a model's metadata says it scores, as GET /v1/models reports it. */
function reportedScores(meta: ModelMetadata) {
  return {
    trained_on: meta.trainedOn ?? "train",
    val: meta.val ?? null,
    held_out_drive: (meta.heldOutDrive as { drive: string } & Record<string, number>) ?? null,
  };
}

health.openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["meta"],
    operationId: "getHealth",
    summary: "Health check",
    security: [],
    responses: {
      200: { description: "up", content: { "application/json": { schema: Health } } },
      ...errors({}),
    },
  }),
  (c) => c.json({ status: "ok" as const, environment: c.env.ENVIRONMENT }, 200),
);

health.openapi(
  createRoute({
    method: "get",
    path: "/models",
    tags: ["meta"],
    operationId: "listModels",
    summary: "Models served at the edge",
    security: [],
    responses: {
      200: { description: "the edge model", content: { "application/json": { schema: ModelList } } },
      ...errors({}),
    },
  }),
  (c) =>
    c.json(
      {
        models: [
          {
            id: edgeModelMeta.id,
            role: "preview" as const,
            variant: edgeModelMeta.variant,
            backbone: edgeModelMeta.backbone,
            quantization: edgeModelMeta.quantization,
            bytes: edgeModelBytes.byteLength,
            resolution: edgeModelMeta.resolution,
            loaded: edgeModelLoaded(),
            classes: edgeModelMeta.classes,
            ...reportedScores(edgeModelMeta),
          },
          {
            id: jobsModelMeta.id,
            role: "jobs" as const,
            variant: jobsModelMeta.variant,
            backbone: jobsModelMeta.backbone,
            quantization: jobsModelMeta.quantization,
            bytes: jobsModelMeta.bytes,
            resolution: jobsModelMeta.resolution,
            // It runs on the GPU tier, not in this isolate.
            loaded: null,
            classes: jobsModelMeta.classes,
            ...reportedScores(jobsModelMeta),
          },
        ],
      },
      200,
    ),
);
