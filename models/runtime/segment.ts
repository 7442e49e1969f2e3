/**
 * One segmentation pipeline for every tier: preprocess -> session -> postprocess.
 * It takes any onnxruntime flavour (web in the Worker, node in the CLI and GPU service):
 * both expose the same `InferenceSession.run` and `Tensor` shapes.
 */
import { asOriented, type OrientedRgba, type Rgba } from "./decode.ts";
import { orientedSize } from "./exif.ts";
import type { ModelMetadata } from "./model-metadata.ts";
import { type CoarseNet, shiftAndStitch } from "./shift-stitch.ts";
import { argmax, inferenceSize, type LabelMap, preprocess } from "./tensor.ts";
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

/**
 * Class ids at the size the network ran at (`inference`), for an image displayed at (height,
 * width): `labelsAtImageSize` gives them at that size, the palette PNG encoder and
 * `labelMapFractions` work from the small map directly.
 */
export interface Segmentation extends LabelMap {
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

/**
 * The graph alone, as `segment` runs it (the "inference" of Server-Timing): the coarse scores
 * of a model that leaves its last layer to the runtime, the logits otherwise.
 */
export function runGraph(
  model: Model,
  input: Float32Array,
  width: number,
  height: number,
): Promise<TensorLike> {
  const output = model.meta.upsample ? "coarse" : model.session.outputNames[0];
  return runOutput(model, input, width, height, output);
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

/** What segment() keeps of an image: the network input, made from the full-size pixels. */
export interface PreparedInput {
  /** normalised (3, h, w) */
  input: Float32Array;
  size: { width: number; height: number };
  /** the image's displayed size */
  width: number;
  height: number;
  /** milliseconds spent resizing */
  resize: number;
}

/** Resize and normalise an image for the network (synchronous: the pixels can go right after). */
export function prepareInput(
  model: Model,
  image: Rgba | OrientedRgba,
  now = () => performance.now(),
): PreparedInput {
  const oriented = asOriented(image);
  const { width, height } = oriented.stored;
  const [shownWidth, shownHeight] = orientedSize(width, height, oriented.orientation);
  const size = inferenceSize(model.meta, shownWidth, shownHeight);
  const t0 = now();
  const input = preprocess(oriented, size, model.meta);
  return { input, size, width: shownWidth, height: shownHeight, resize: now() - t0 };
}

type SegmentOptions = { keepLogits?: boolean; mode?: UpsamplingMode; now?: () => number };

/**
 * Segment an image: stored pixels with their EXIF orientation, or upright RGBA. Not an async
 * function on purpose: the image is only read while the input is made, so nothing holds the
 * full-size pixels while the network runs.
 */
export function segment(
  model: Model,
  image: Rgba | OrientedRgba,
  options: SegmentOptions = {},
): Promise<Segmentation> {
  return segmentPrepared(model, prepareInput(model, image, options.now), options);
}

export async function segmentPrepared(
  model: Model,
  prepared: PreparedInput,
  options: SegmentOptions = {},
): Promise<Segmentation> {
  const now = options.now ?? (() => performance.now());
  const { meta } = model;
  const { input, size } = prepared;
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
  const inferenceLabels =
    coarse && meta.upsample
      ? // Only the labels are wanted: upsample and argmax in one pass, never holding the logits.
        bilinearDeconvArgmax(coarse, size.width, size.height, meta.upsample)
      : argmax(logits!, meta.classes.length, size.width * size.height);
  const t3 = now();
  return {
    inferenceLabels,
    inference: size,
    width: prepared.width,
    height: prepared.height,
    logits: options.keepLogits ? logits : undefined,
    timings: { resize: prepared.resize, inference: t2 - t1, postprocess: t3 - t2 },
  };
}
