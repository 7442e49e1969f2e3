/**
 * The service's one onnxruntime session, shared by all jobs through a queue: inputs wait
 * their turn, and same-size inputs waiting together run as one batch (micro-batching).
 *
 * Each run reads preprocess -> session -> postprocess. A lone input goes through the shared
 * segment() pipeline itself (the exact code path of `npx fcn predict` and the Worker), a
 * batch through the same steps with N > 1, and an input too large for one run through
 * tiling.ts.
 */
import { asOriented, type Rgba } from "../models/runtime/decode.ts";
import type { NodeModel } from "../models/runtime/node.ts";
import { resizeLabelsNearest } from "../models/runtime/resize.ts";
import { segment, type UpsamplingMode } from "../models/runtime/segment.ts";
import {
  argmax,
  classFractions,
  inferenceSize,
  labelMapFractions,
  labelsAtImageSize,
  labelsToImageSize,
  preprocess,
  probabilitiesUint8,
} from "../models/runtime/tensor.ts";
import { segmentTiled } from "./tiling.ts";

export interface PredictRequest {
  image: Rgba;
  mode: UpsamplingMode;
  /** also return per-class probabilities as uint8 */
  probabilities: boolean;
}

export interface Prediction {
  /** (H, W) class ids at the image's size */
  labels: Uint8Array;
  width: number;
  height: number;
  /** (C, H, W) round(255 * p) at the image's size, when asked for */
  probabilities?: Uint8Array;
  /** share of pixels per class id */
  classFractions: number[];
  /** time of the onnxruntime run(s) this input was part of, ms */
  inferenceMs: number;
  /** inputs in that run (1 unless micro-batched) */
  batchSize: number;
  /** tiles the input was cut into (1 unless larger than tileMaxPixels) */
  tiles: number;
}

export interface InferenceOptions {
  /** most inputs per onnxruntime run */
  batchSize: number;
  /** how long a lone input waits for same-size partners when the model is idle */
  batchWindowMs: number;
  tileMaxPixels: number;
  tileSize: number;
  tileOverlap: number;
  /** called after every onnxruntime run (metrics) */
  onRun?: (run: { inputs: number; tiles: number; ms: number }) => void;
}

interface Pending {
  request: PredictRequest;
  resolve: (prediction: Prediction) => void;
  reject: (error: unknown) => void;
  waited: boolean;
}

/** Serialises access to the model and groups same-size inputs into batches. */
export class InferenceQueue {
  readonly model: NodeModel;
  private readonly options: InferenceOptions;
  private readonly pending: Pending[] = [];
  private running = false;

  constructor(model: NodeModel, options: InferenceOptions) {
    this.model = model;
    this.options = options;
  }

  /** Segment one image; resolves when the run it joined has finished. */
  predict(request: PredictRequest): Promise<Prediction> {
    return new Promise((resolve, reject) => {
      this.pending.push({ request, resolve, reject, waited: false });
      void this.drain();
    });
  }

  /** Inputs waiting for the model. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Whether an input is cut into tiles (it never joins a batch then). */
  needsTiling(image: { width: number; height: number }): boolean {
    return this.model.meta.resolution === null && image.width * image.height > this.options.tileMaxPixels;
  }

  private batchKey(request: PredictRequest): string | undefined {
    if (this.options.batchSize <= 1 || request.mode !== "learned" || this.needsTiling(request.image)) {
      return undefined;
    }
    return `${request.image.width}x${request.image.height}`;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const first = this.pending[0];
        const key = this.batchKey(first.request);
        const partners = () => this.pending.filter((p) => this.batchKey(p.request) === key);
        if (
          key &&
          !first.waited &&
          this.options.batchWindowMs > 0 &&
          partners().length < this.options.batchSize
        ) {
          // A short wait lets inputs downloaded at nearly the same time share one run.
          first.waited = true;
          await new Promise((r) => setTimeout(r, this.options.batchWindowMs));
        }
        const group = key ? partners().slice(0, this.options.batchSize) : [first];
        for (const p of group) this.pending.splice(this.pending.indexOf(p), 1);
        try {
          const predictions = await this.run(group.map((p) => p.request));
          group.forEach((p, i) => {
            p.resolve(predictions[i]);
          });
        } catch (error) {
          for (const p of group) p.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async run(requests: PredictRequest[]): Promise<Prediction[]> {
    const started = performance.now();
    let predictions: Prediction[];
    if (requests.length > 1) predictions = await this.runBatch(requests);
    else if (this.needsTiling(requests[0].image)) predictions = [await this.runTiled(requests[0])];
    else predictions = [await this.runOne(requests[0])];
    const ms = performance.now() - started;
    for (const p of predictions) p.inferenceMs = ms;
    this.options.onRun?.({ inputs: requests.length, tiles: predictions[0].tiles, ms });
    return predictions;
  }

  /** One input through segment(), the pipeline every tier shares. */
  private async runOne(request: PredictRequest): Promise<Prediction> {
    const { model } = this;
    const classes = model.meta.classes.length;
    const result = await segment(model, request.image, {
      mode: request.mode,
      keepLogits: request.probabilities,
    });
    const probabilities = result.logits
      ? probabilitiesAtImageSize(
          probabilitiesUint8(result.logits, classes, result.inference.width * result.inference.height),
          classes,
          result.inference,
          result,
        )
      : undefined;
    return {
      labels: labelsAtImageSize(result),
      width: result.width,
      height: result.height,
      probabilities,
      classFractions: labelMapFractions(result, classes),
      inferenceMs: 0,
      batchSize: 1,
      tiles: 1,
    };
  }

  /** Same-size inputs as one (N, 3, h, w) tensor: the steps of segment() with N > 1. */
  private async runBatch(requests: PredictRequest[]): Promise<Prediction[]> {
    const { model } = this;
    const { meta, session } = model;
    const classes = meta.classes.length;
    const { width, height } = requests[0].image;
    const size = inferenceSize(meta, width, height);
    const plane = size.width * size.height;

    // preprocess: each image to its normalised planar input, stacked along the batch axis
    const batch = new Float32Array(requests.length * 3 * plane);
    requests.forEach((r, i) => {
      batch.set(preprocess(asOriented(r.image), size, meta), i * 3 * plane);
    });

    // session
    const inputName = session.inputNames[0];
    const outputName = session.outputNames[0];
    const feeds = {
      [inputName]: new model.Tensor("float32", batch, [requests.length, 3, size.height, size.width]),
    };
    const logits = (await session.run(feeds, [outputName]))[outputName].data as Float32Array;

    // postprocess: per input, argmax over classes and back to the image's size
    return requests.map((r, i) => {
      const own = logits.subarray(i * classes * plane, (i + 1) * classes * plane);
      const labels = labelsToImageSize(argmax(own, classes, plane), size, width, height);
      const probabilities = r.probabilities
        ? probabilitiesAtImageSize(probabilitiesUint8(own, classes, plane), classes, size, { width, height })
        : undefined;
      return {
        labels,
        width,
        height,
        probabilities,
        classFractions: classFractions(labels, classes),
        inferenceMs: 0,
        batchSize: requests.length,
        tiles: 1,
      };
    });
  }

  private async runTiled(request: PredictRequest): Promise<Prediction> {
    const tiled = await segmentTiled(this.model, request.image, {
      tileSize: this.options.tileSize,
      overlap: this.options.tileOverlap,
      mode: request.mode,
      probabilities: request.probabilities,
    });
    return {
      labels: tiled.labels,
      width: tiled.width,
      height: tiled.height,
      probabilities: tiled.probabilities,
      classFractions: classFractions(tiled.labels, this.model.meta.classes.length),
      inferenceMs: 0,
      batchSize: 1,
      tiles: tiled.tiles,
    };
  }
}

/**
 * Probabilities at the network's size -> the image's size, nearest neighbour per class like
 * the labels (a no-op for models that run at the input's own size).
 */
function probabilitiesAtImageSize(
  probabilities: Uint8Array,
  classes: number,
  from: { width: number; height: number },
  to: { width: number; height: number },
): Uint8Array {
  if (from.width === to.width && from.height === to.height) return probabilities;
  const fromPlane = from.width * from.height;
  const toPlane = to.width * to.height;
  const out = new Uint8Array(classes * toPlane);
  for (let c = 0; c < classes; c++) {
    const plane = probabilities.subarray(c * fromPlane, (c + 1) * fromPlane);
    out.set(resizeLabelsNearest(plane, from.width, from.height, to.width, to.height), c * toPlane);
  }
  return out;
}
