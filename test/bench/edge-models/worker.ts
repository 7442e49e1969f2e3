/**
 * A bench-only Worker (never deployed): the shipped edge model and a candidate, each run by
 * workerd's onnxruntime-web exactly as the preview runs its model (`ort-web.ts`, `runGraph`), so
 * a candidate edge net is timed where it would serve. `GET /?model=shipped|candidate` runs one
 * graph once and answers its time; the bench (`edge-models/bench.ts`) interleaves the two. The
 * candidate is the file the bench copies to test/artifacts/bench-candidate-edge.onnx.
 */

import shippedBytes from "../../../models/fcn32s-edge-int8.onnx";
import { readModelMetadata } from "../../../models/runtime/model-metadata.ts";
import { type Model, runGraph } from "../../../models/runtime/segment.ts";
import { inferenceSize } from "../../../models/runtime/tensor.ts";
import { webModel } from "../../../worker/inference/ort-web.ts";
import candidateBytes from "../../artifacts/bench-candidate-edge.onnx";

const FILES = { shipped: shippedBytes, candidate: candidateBytes };
type Name = keyof typeof FILES;
const models: Partial<Record<Name, Promise<Model>>> = {};

function load(name: Name): Promise<Model> {
  const bytes = FILES[name];
  models[name] ??= webModel(bytes, readModelMetadata(new Uint8Array(bytes)));
  return models[name];
}

// One input per size, made once, so that a request's time is the graph's and HTTP's alone.
const inputs = new Map<string, Float32Array>();
const inputOf = (width: number, height: number) => {
  const key = `${width}x${height}`;
  if (!inputs.has(key))
    inputs.set(
      key,
      Float32Array.from({ length: 3 * width * height }, (_, i) => Math.sin(i * 0.37)),
    );
  return inputs.get(key)!;
};

export default {
  async fetch(request) {
    const name = new URL(request.url).searchParams.get("model");
    if (name !== "shipped" && name !== "candidate")
      return new Response("?model=shipped|candidate", { status: 400 });
    const model = await load(name);
    // A CamVid frame's size, brought to the model's own inference size as the preview does; the
    // values do not change an int8 graph's time, so a fixed pattern stands in for a photo.
    const { width, height } = inferenceSize(model.meta, 480, 360);
    const input = inputOf(width, height);
    const started = performance.now();
    await runGraph(model, input, width, height);
    return Response.json({ ms: performance.now() - started, width, height });
  },
} satisfies ExportedHandler;
