/**
 * The service's one onnxruntime session, shared by all jobs through a queue: inputs wait
 * their turn, and same-size inputs waiting together run as one batch (micro-batching).
 *
 * Each run reads preprocess -> session -> postprocess through the shared segmentBatch() (the
 * code path of `npx fcn predict` and the Worker): a lone input is a batch of one, and an input
 * too large for one run (models without a reference scale) goes through tiling.ts.
 */
import type { Rgba } from "../models/runtime/decode.ts";
import type { NodeModel } from "../models/runtime/node.ts";
import {
  prepareInput,
  probabilitiesAtImageSize,
  type Quality,
  segmentBatch,
  type UpsamplingMode,
} from "../models/runtime/segment.ts";
import type { Checkpoint } from "../models/runtime/shift-stitch.ts";
import {
  classFractions,
  inferenceSize,
  labelMapFractions,
  labelsAtImageSize,
  runsAtOwnSize,
} from "../models/runtime/tensor.ts";
import { segmentTiled } from "./tiling.ts";

export interface PredictRequest {
  image: Rgba;
  mode: UpsamplingMode;
  /** "high": test-time augmentation (never batched with other inputs) */
  quality?: Quality;
  /** also return per-class probabilities as uint8 */
  probabilities: boolean;
  /** called between network runs where there are several (tiles, shift-and-stitch passes); throws to stop */
  checkpoint?: Checkpoint;
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

  /**
   * Whether an input is cut into tiles (it never joins a batch then): only for models that run
   * at the image's own size; a model with a reference scale runs large images brought down to it.
   */
  needsTiling(image: { width: number; height: number }): boolean {
    return runsAtOwnSize(this.model.meta) && image.width * image.height > this.options.tileMaxPixels;
  }

  /** Inputs with the same key run as one batch: same inference size, one plain pass each. */
  private batchKey(request: PredictRequest): string | undefined {
    if (
      this.options.batchSize <= 1 ||
      request.mode !== "learned" ||
      request.quality === "high" ||
      this.needsTiling(request.image)
    ) {
      return undefined;
    }
    const size = inferenceSize(this.model.meta, request.image.width, request.image.height);
    return `${size.width}x${size.height}`;
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
    const predictions = this.needsTiling(requests[0].image)
      ? [await this.runTiled(requests[0])]
      : await this.runBatch(requests);
    const ms = performance.now() - started;
    for (const p of predictions) p.inferenceMs = ms;
    this.options.onRun?.({ inputs: requests.length, tiles: predictions[0].tiles, ms });
    return predictions;
  }

  /** Inputs of one batch key through segmentBatch(): one (N, 3, h, w) run. */
  private async runBatch(requests: PredictRequest[]): Promise<Prediction[]> {
    const { model } = this;
    const classes = model.meta.classes.length;
    const { mode, quality } = requests[0];
    const keepLogits = requests.some((r) => r.probabilities);
    const prepared = requests.map((r) => prepareInput(model, r.image, { quality }));
    // One job's deadline must not stop the others of a batch: checked only for a lone input.
    const checkpoint = requests.length === 1 ? requests[0].checkpoint : undefined;
    const results = await segmentBatch(model, prepared, { mode, keepLogits, checkpoint });
    return results.map((result, i) => ({
      labels: labelsAtImageSize(result),
      width: result.width,
      height: result.height,
      probabilities: requests[i].probabilities ? probabilitiesAtImageSize(model, result) : undefined,
      classFractions: labelMapFractions(result, classes),
      inferenceMs: 0,
      batchSize: requests.length,
      tiles: 1,
    }));
  }

  private async runTiled(request: PredictRequest): Promise<Prediction> {
    const tiled = await segmentTiled(this.model, request.image, {
      tileSize: this.options.tileSize,
      overlap: this.options.tileOverlap,
      mode: request.mode,
      probabilities: request.probabilities,
      checkpoint: request.checkpoint,
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
