/**
 * The edge model (int8 FCN-32s), created lazily on the first request (Worker start-up must
 * stay under 1 s) and reused for the life of the isolate. A failed start is not cached.
 */
import edgeModelBytes from "../../models/fcn32s-edge-int8.onnx";
import { type ModelMetadata, readModelMetadata } from "../../models/runtime/model-metadata.ts";
import type { Model } from "../../models/runtime/segment.ts";
import { webModel } from "./ort-web.ts";

export interface LoadedModel extends Model {
  bytes: number;
  loadMs: number;
}

export const edgeModelMeta: ModelMetadata = readModelMetadata(new Uint8Array(edgeModelBytes));

let loading: Promise<LoadedModel> | undefined;

export function edgeModel(): Promise<LoadedModel> {
  loading ??= (async () => {
    const started = Date.now();
    const model = await webModel(edgeModelBytes, edgeModelMeta);
    return { ...model, bytes: edgeModelBytes.byteLength, loadMs: Date.now() - started };
  })().catch((error) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Whether the session exists yet (for /v1/models). */
export const edgeModelLoaded = () => loading !== undefined;
