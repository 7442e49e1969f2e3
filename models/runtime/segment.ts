/**
 * One segmentation pipeline for every tier: preprocess -> session -> postprocess.
 * It takes any onnxruntime flavour (web in the Worker, node in the CLI and GPU service):
 * both expose the same `InferenceSession.run` and `Tensor` shapes.
 */
import type { Rgba } from "./decode.ts";
import type { ModelMetadata } from "./model-metadata.ts";
import { type CoarseNet, shiftAndStitch } from "./shift-stitch.ts";
import { argmax, inferenceSize, labelsToImageSize, preprocess } from "./tensor.ts";
import { bilinearDeconv, bilinearDeconvArgmax, type CoarseScores } from "./upsample.ts";

export interface TensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface SessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, TensorLike>, fetches?: readonly string[]): Promise<Record<string, TensorLike>>;
}
export type TensorConstructor = new (
  type: "float32",
  data: Float32Array,
  dims: readonly number[],
) => TensorLike;

export interface Model {
  session: SessionLike;
  Tensor: TensorConstructor;
  meta: ModelMetadata;
}

export interface Segmentation {
  /** (height, width) class ids at the image's displayed size */
  labels: Uint8Array;
  width: number;
  height: number;
  /** the size the network ran at */
  inference: { width: number; height: number };
  /** (C, h, w) logits at the inference size, kept only when asked for */
  logits?: Float32Array;
  timings: { resize: number; inference: number; postprocess: number };
}

export type UpsamplingMode = "learned" | "shift-and-stitch";

/** Run the graph on a normalised (3, h, w) input and fetch one output. */
async function runOutput(
  model: Model,
  input: Float32Array,
  width: number,
  height: number,
  output: string,
): Promise<TensorLike> {
  const feeds = { [model.session.inputNames[0]]: new model.Tensor("float32", input, [1, 3, height, width]) };
  return (await model.session.run(feeds, [output]))[output];
}

/** The (C, ch, cw) coarse scores of a model that leaves its last layer to the runtime. */
async function runCoarse(
  model: Model,
  input: Float32Array,
  width: number,
  height: number,
): Promise<CoarseScores> {
  const out = await runOutput(model, input, width, height, "coarse");
  return { data: out.data as Float32Array, classes: out.dims[1], height: out.dims[2], width: out.dims[3] };
}

/** Run the network on a normalised (3, h, w) input; returns (C, h, w) logits. */
export async function runLogits(
  model: Model,
  input: Float32Array,
  width: number,
  height: number,
): Promise<Float32Array> {
  const { upsample } = model.meta;
  if (upsample) return bilinearDeconv(await runCoarse(model, input, width, height), width, height, upsample);
  return (await runOutput(model, input, width, height, model.session.outputNames[0])).data as Float32Array;
}

/** The model's "coarse" output (stride `meta.coarse.stride`), as a net for shift-and-stitch. */
export function coarseNet(model: Model): CoarseNet {
  const name = model.session.outputNames.find((n) => n === "coarse");
  if (!name) throw new Error(`model ${model.meta.id} has no "coarse" output for shift-and-stitch`);
  return async (batch, n, channels, height, width) => {
    const feeds = {
      [model.session.inputNames[0]]: new model.Tensor("float32", batch, [n, channels, height, width]),
    };
    const out = (await model.session.run(feeds, [name]))[name];
    return { data: out.data as Float32Array, channels: out.dims[1], height: out.dims[2], width: out.dims[3] };
  };
}

export async function segment(
  model: Model,
  image: Rgba,
  options: { keepLogits?: boolean; mode?: UpsamplingMode; now?: () => number } = {},
): Promise<Segmentation> {
  const now = options.now ?? (() => performance.now());
  const { meta } = model;
  const size = inferenceSize(meta, image.width, image.height);
  const t0 = now();
  const input = preprocess(image, size, meta);
  const t1 = now();
  let logits: Float32Array | undefined;
  let coarse: CoarseScores | undefined;
  if (meta.upsample && options.mode !== "shift-and-stitch" && !options.keepLogits) {
    coarse = await runCoarse(model, input, size.width, size.height);
  } else if (options.mode === "shift-and-stitch") {
    const stride = meta.coarse?.stride ?? 8;
    const stitched = await shiftAndStitch(
      coarseNet(model),
      { data: input, channels: 3, height: size.height, width: size.width },
      stride,
      { offset: meta.coarse?.offset ?? 0, batch: 8 },
    );
    logits = stitched.data;
  } else {
    logits = await runLogits(model, input, size.width, size.height);
  }
  const t2 = now();
  const small =
    coarse && meta.upsample
      ? // Only the labels are wanted: upsample and argmax in one pass, never holding the logits.
        bilinearDeconvArgmax(coarse, size.width, size.height, meta.upsample)
      : argmax(logits!, meta.classes.length, size.width * size.height);
  const labels = labelsToImageSize(small, size, image.width, image.height);
  const t3 = now();
  return {
    labels,
    width: image.width,
    height: image.height,
    inference: size,
    logits: options.keepLogits ? logits : undefined,
    timings: { resize: t1 - t0, inference: t2 - t1, postprocess: t3 - t2 },
  };
}
