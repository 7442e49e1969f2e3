/**
 * One segmentation pipeline for every tier: preprocess -> session -> postprocess, for one
 * image or a batch of same-size inputs (a batch dimension, not a second copy of the steps).
 * It takes any onnxruntime flavour (web in the Worker, node in the CLI and GPU service):
 * both expose the same `InferenceSession.run` and `Tensor` shapes.
 *
 *   image     RGBA (H, W) as displayed
 *   input     float32 (N, 3, h, w)  h x w = inferenceSize(): the model's fixed resolution
 *                                   (edge), or the image brought to its referencePixels
 *   scores    float32 (N, C, h, w)  logits, or (N, C, h/s, w/s) "coarse" when the model leaves
 *                                   its last bilinear layer to the runtime (meta.upsample)
 *   labels    uint8 (h, w) shown at (H, W) by nearest neighbour (fixed-resolution models,
 *             whose preview stays small), or uint8 (H, W) from the scores bilinearly resized
 *             to (H, W) before the argmax (models that run at the image's scale)
 */
import { asOriented, type OrientedRgba, type Rgba } from "./decode.ts";
import { orientedSize } from "./exif.ts";
import type { ModelMetadata } from "./model-metadata.ts";
import {
  resizeLabelsNearest,
  resizeLogitsToProbabilitiesUint8,
  resizeScoresArgmax,
  resizeScoresBilinear,
} from "./resize.ts";
import { type Checkpoint, type CoarseNet, shiftAndStitch } from "./shift-stitch.ts";
import {
  argmax,
  fullSizeLabels,
  inferenceSize,
  type LabelMap,
  preprocess,
  probabilitiesUint8,
} from "./tensor.ts";
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
  /**
   * Other independently trained nets of the same family whose softmax quality "high" averages
   * with this one's (an ensemble). Each must read inputs exactly as this model does
   * (`ensembleMismatch`), so one prepared input feeds them all.
   */
  ensemble?: readonly Model[];
}

/**
 * Why `member` cannot join `base`'s ensemble (undefined when it can): the two must share the
 * classes, the normalisation and the way an image is sized for the network.
 */
export function ensembleMismatch(base: ModelMetadata, member: ModelMetadata): string | undefined {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const names = (meta: ModelMetadata) => meta.classes.map((c) => c.name);
  if (!same(names(base), names(member))) return "different classes";
  if (!same(base.mean, member.mean) || !same(base.std, member.std)) return "different normalisation";
  if (!same(base.resolution, member.resolution)) return "different run resolution";
  if ((base.referencePixels ?? 0) !== (member.referencePixels ?? 0)) return "different reference size";
  if ((base.inputScale ?? 1) !== (member.inputScale ?? 1)) return "different input scale";
  return undefined;
}

/** `base` with `members` as its quality-"high" ensemble; throws when one reads inputs differently. */
export function withEnsemble<M extends Model>(base: M, members: readonly Model[]): M {
  for (const member of members) {
    const why = ensembleMismatch(base.meta, member.meta);
    if (why) throw new Error(`model ${member.meta.id} cannot join ${base.meta.id}'s ensemble: ${why}`);
  }
  return members.length > 0 ? { ...base, ensemble: members } : base;
}

/**
 * `model` (and its ensemble) run at `inputScale` instead of what its metadata says: how a
 * model's input scale is chosen before it is exported with it (`npx fcn eval --input-scale`).
 */
export function withInputScale<M extends Model>(model: M, inputScale: number): M {
  if (model.meta.resolution)
    throw new Error(`model ${model.meta.id} runs at a fixed resolution: no input scale`);
  const scaled = <T extends Model>(m: T): T => ({ ...m, meta: { ...m.meta, inputScale } });
  return { ...scaled(model), ...(model.ensemble && { ensemble: model.ensemble.map(scaled) }) };
}

/**
 * Class ids for an image displayed at (height, width). With `inference` smaller than the
 * image (fixed-resolution models), `labelsAtImageSize` shows them at that size by nearest
 * neighbour; the palette PNG encoder and `labelMapFractions` work from the small map directly.
 */
export interface Segmentation extends LabelMap {
  /** (C, scoreSize.height, scoreSize.width) logits, kept only when asked for */
  logits?: Float32Array;
  /** the size the network ran at */
  scoreSize: { width: number; height: number };
  timings: { resize: number; inference: number; postprocess: number };
}

export type UpsamplingMode = "learned" | "shift-and-stitch";

/**
 * `standard`: one run. `high`: test-time augmentation, the image at `HIGH_QUALITY_SCALES` of
 * its inference size, each also mirrored, through the model and its `ensemble` members,
 * softmax scores averaged before the argmax.
 */
export type Quality = "standard" | "high";
export const HIGH_QUALITY_SCALES = [0.75, 1, 1.25] as const;

type Size = { width: number; height: number };

/** Run the graph on a batch of normalised (3, h, w) inputs and fetch one output. */
async function runOutput(
  model: Model,
  inputs: Float32Array[],
  size: Size,
  output: string,
): Promise<TensorLike> {
  const plane = 3 * size.width * size.height;
  const batch = inputs.length === 1 ? inputs[0] : new Float32Array(inputs.length * plane);
  if (inputs.length > 1) for (const [i, input] of inputs.entries()) batch.set(input, i * plane);
  const feeds = {
    [model.session.inputNames[0]]: new model.Tensor("float32", batch, [
      inputs.length,
      3,
      size.height,
      size.width,
    ]),
  };
  return (await model.session.run(feeds, [output]))[output];
}

/** Item i of a batched (N, ...) output. */
function item(out: TensorLike, i: number): Float32Array {
  const each = out.dims.slice(1).reduce((a, b) => a * b, 1);
  return (out.data as Float32Array).subarray(i * each, (i + 1) * each);
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
  return runOutput(model, [input], { width, height }, output);
}

/** Scores of one batch item: coarse (runtime upsampling still to do) or logits at the input size. */
type Scores = { coarse: CoarseScores } | { logits: Float32Array };

async function runScores(model: Model, inputs: Float32Array[], size: Size): Promise<Scores[]> {
  const out = await runOutput(
    model,
    inputs,
    size,
    model.meta.upsample ? "coarse" : model.session.outputNames[0],
  );
  return inputs.map((_, i) =>
    model.meta.upsample
      ? { coarse: { data: item(out, i), classes: out.dims[1], height: out.dims[2], width: out.dims[3] } }
      : { logits: item(out, i) },
  );
}

function toLogits(model: Model, scores: Scores, size: Size): Float32Array {
  if ("logits" in scores) return scores.logits;
  return bilinearDeconv(scores.coarse, size.width, size.height, model.meta.upsample!);
}

/** Run the network on a normalised (3, h, w) input; returns (C, h, w) logits. */
export async function runLogits(
  model: Model,
  input: Float32Array,
  width: number,
  height: number,
): Promise<Float32Array> {
  const size = { width, height };
  return toLogits(model, (await runScores(model, [input], size))[0], size);
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

/** One network input: normalised (3, h, w) pixels and their size. */
export interface NetworkInput {
  input: Float32Array;
  size: Size;
}

/** What segment() keeps of an image: the network input(s), made from the full-size pixels. */
export interface PreparedInput extends NetworkInput {
  /** the image's displayed size */
  width: number;
  height: number;
  /** milliseconds spent resizing */
  resize: number;
  /** quality "high": the inputs at every scale of `HIGH_QUALITY_SCALES` (the base one included) */
  scales?: NetworkInput[];
}

type PrepareOptions = {
  quality?: Quality;
  /** quality "high"'s scales of the inference size (default `HIGH_QUALITY_SCALES`) */
  scales?: readonly number[];
  now?: () => number;
};

/** Resize and normalise an image for the network (synchronous: the pixels can go right after). */
export function prepareInput(
  model: Model,
  image: Rgba | OrientedRgba,
  options: PrepareOptions = {},
): PreparedInput {
  const now = options.now ?? (() => performance.now());
  const oriented = asOriented(image);
  const { width, height } = oriented.stored;
  const [shownWidth, shownHeight] = oriented.fullSize
    ? [oriented.fullSize.width, oriented.fullSize.height]
    : orientedSize(width, height, oriented.orientation);
  const t0 = now();
  const at = (scale: number): NetworkInput => {
    const size = inferenceSize(model.meta, shownWidth, shownHeight, scale);
    return { input: preprocess(oriented, size, model.meta), size };
  };
  const base = at(1);
  // A fixed-resolution model (the edge's) has one size: it never runs other scales.
  const scales =
    options.quality === "high" && !model.meta.resolution
      ? (options.scales ?? HIGH_QUALITY_SCALES).map((s) => (s === 1 ? base : at(s)))
      : undefined;
  return { ...base, scales, width: shownWidth, height: shownHeight, resize: now() - t0 };
}

type SegmentOptions = PrepareOptions & {
  keepLogits?: boolean;
  mode?: UpsamplingMode;
  /** called between the network runs of shift-and-stitch; throws to stop (a job's deadline) */
  checkpoint?: Checkpoint;
};

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
  return segmentPrepared(model, prepareInput(model, image, options), options);
}

/** `segmentBatch` of one input. */
export async function segmentPrepared(
  model: Model,
  prepared: PreparedInput,
  options: SegmentOptions = {},
): Promise<Segmentation> {
  return (await segmentBatch(model, [prepared], options))[0];
}

/**
 * Segment inputs of one inference size in one run of the network (batch dimension N). Shift-
 * and-stitch and the high-quality mode run several passes per input, so their inputs go one
 * at a time.
 */
export async function segmentBatch(
  model: Model,
  batch: PreparedInput[],
  options: SegmentOptions = {},
): Promise<Segmentation[]> {
  const now = options.now ?? (() => performance.now());
  const { size } = batch[0];
  if (batch.some((p) => p.size.width !== size.width || p.size.height !== size.height)) {
    throw new Error("segmentBatch: every input must have the same inference size");
  }
  const t1 = now();
  let scores: Scores[];
  if (options.mode === "shift-and-stitch") {
    scores = [];
    for (const p of batch) scores.push({ logits: await stitched(model, p, options.checkpoint) });
  } else if (batch.some((p) => p.scales)) {
    scores = [];
    for (const p of batch)
      scores.push({
        logits: p.scales
          ? await augmented(model, p)
          : await runLogits(model, p.input, size.width, size.height),
      });
  } else {
    scores = await runScores(
      model,
      batch.map((p) => p.input),
      size,
    );
  }
  const t2 = now();
  const inference = (t2 - t1) / batch.length;
  return batch.map((p, i) => {
    const t3 = now();
    const result = postprocess(model, p, scores[i], options.keepLogits ?? false);
    return { ...result, timings: { resize: p.resize, inference, postprocess: now() - t3 } };
  });
}

async function stitched(model: Model, p: PreparedInput, checkpoint?: Checkpoint): Promise<Float32Array> {
  const { meta } = model;
  const result = await shiftAndStitch(
    coarseNet(model),
    { data: p.input, channels: 3, height: p.size.height, width: p.size.width },
    meta.coarse?.stride ?? 8,
    { offset: meta.coarse?.offset ?? 0, batch: 8, checkpoint },
  );
  return result.data;
}

/** Mirror a planar (C, h, w) map left-right. */
function mirror(planar: Float32Array, width: number): Float32Array {
  const out = new Float32Array(planar.length);
  for (let row = 0; row < planar.length; row += width)
    for (let x = 0; x < width; x++) out[row + x] = planar[row + width - 1 - x];
  return out;
}

/**
 * Test-time augmentation: every scale, as is and mirrored (one batch of two), through the
 * model and each of its ensemble members, softmax scores brought to the base size and
 * averaged. Returns log(mean probability), so a softmax of it (the probabilities output)
 * gives the averaged probabilities back.
 */
async function augmented(model: Model, p: PreparedInput): Promise<Float32Array> {
  const classes = model.meta.classes.length;
  const plane = p.size.width * p.size.height;
  const sum = new Float32Array(classes * plane);
  const views = p.scales ?? [p];
  const nets = [model, ...(model.ensemble ?? [])];
  for (const view of views) {
    const pair = [view.input, mirror(view.input, view.size.width)];
    for (const net of nets) {
      const [plain, flipped] = await runScores(net, pair, view.size);
      for (const [k, scores] of [plain, flipped].entries()) {
        let logits = toLogits(net, scores, view.size);
        if (k === 1) logits = mirror(logits, view.size.width);
        if (view.size.width !== p.size.width || view.size.height !== p.size.height) {
          logits = resizeScoresBilinear({ data: logits, classes, ...view.size }, p.size.width, p.size.height);
        }
        addSoftmax(sum, logits, classes, plane);
      }
    }
  }
  const n = 2 * views.length * nets.length;
  for (let i = 0; i < sum.length; i++) sum[i] = Math.log(sum[i] / n);
  return sum;
}

function addSoftmax(sum: Float32Array, logits: Float32Array, classes: number, plane: number): void {
  for (let i = 0; i < plane; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[c * plane + i]);
    let total = 0;
    for (let c = 0; c < classes; c++) total += Math.exp(logits[c * plane + i] - max);
    for (let c = 0; c < classes; c++) sum[c * plane + i] += Math.exp(logits[c * plane + i] - max) / total;
  }
}

/** Whether scores are brought to the image's size bilinearly (models that run at its scale). */
function resizesScores(model: Model, from: Size, to: Size): boolean {
  return !model.meta.resolution && (from.width !== to.width || from.height !== to.height);
}

function postprocess(
  model: Model,
  p: PreparedInput,
  scores: Scores,
  keepLogits: boolean,
): Omit<Segmentation, "timings"> {
  const { meta } = model;
  const classes = meta.classes.length;
  const { size } = p;
  const common = { scoreSize: size };
  if ("coarse" in scores && !keepLogits && !resizesScores(model, size, p)) {
    // Only the labels are wanted: upsample and argmax in one pass, never holding the logits.
    const labels = bilinearDeconvArgmax(scores.coarse, size.width, size.height, meta.upsample!);
    return { ...common, inferenceLabels: labels, inference: size, width: p.width, height: p.height };
  }
  const logits = toLogits(model, scores, size);
  const kept = keepLogits ? logits : undefined;
  if (resizesScores(model, size, p)) {
    const labels = resizeScoresArgmax({ data: logits, classes, ...size }, p.width, p.height);
    return { ...common, ...fullSizeLabels(labels, p.width, p.height), logits: kept };
  }
  const labels = argmax(logits, classes, size.width * size.height);
  return {
    ...common,
    inferenceLabels: labels,
    inference: size,
    width: p.width,
    height: p.height,
    logits: kept,
  };
}

/**
 * Per-class probabilities as uint8 (C, H, W) at the image's displayed size, from a
 * segmentation made with `keepLogits`: bilinear on the logits before the softmax where the
 * labels were made that way, nearest neighbour per class otherwise (like the labels).
 */
export function probabilitiesAtImageSize(model: Model, result: Segmentation): Uint8Array {
  const classes = model.meta.classes.length;
  if (!result.logits) throw new Error("probabilitiesAtImageSize needs a segmentation made with keepLogits");
  const { scoreSize } = result;
  if (resizesScores(model, scoreSize, result)) {
    return resizeLogitsToProbabilitiesUint8(
      { data: result.logits, classes, ...scoreSize },
      result.width,
      result.height,
    );
  }
  const probabilities = probabilitiesUint8(result.logits, classes, scoreSize.width * scoreSize.height);
  if (scoreSize.width === result.width && scoreSize.height === result.height) return probabilities;
  const fromPlane = scoreSize.width * scoreSize.height;
  const toPlane = result.width * result.height;
  const out = new Uint8Array(classes * toPlane);
  for (let c = 0; c < classes; c++) {
    const plane = probabilities.subarray(c * fromPlane, (c + 1) * fromPlane);
    out.set(
      resizeLabelsNearest(plane, scoreSize.width, scoreSize.height, result.width, result.height),
      c * toPlane,
    );
  }
  return out;
}
