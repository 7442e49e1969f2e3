/**
 * One inference path: a batch of N is N single runs, for both shipped models (the FCN-8s
 * whose graph ends at the logits, the edge FCN-32s whose graph ends at the coarse scores);
 * large photos run at the model's reference scale; the high-quality mode.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Rgba } from "../models/runtime/decode.ts";
import { readModelMetadata } from "../models/runtime/model-metadata.ts";
import { loadNodeModel, type NodeModel } from "../models/runtime/node.ts";
import { resizeRgbaBilinear } from "../models/runtime/resize.ts";
import {
  ensembleMismatch,
  type Model,
  type PreparedInput,
  prepareInput,
  probabilitiesAtImageSize,
  segment,
  segmentBatch,
  segmentPrepared,
  withEnsemble,
  withInputScale,
} from "../models/runtime/segment.ts";
import { inferenceSize, labelsAtImageSize } from "../models/runtime/tensor.ts";
import { decodeFile, REPO, SAMPLES, testModel } from "./test/harness.ts";

const EDGE = resolve(REPO, "models/fcn32s-edge-int8.onnx");

const resized = (image: Rgba, width: number, height: number): Rgba =>
  resizeRgbaBilinear(image, width, height);

let images: Rgba[];
let models: Record<string, NodeModel>;
beforeAll(async () => {
  images = await Promise.all(SAMPLES.map(decodeFile));
  models = {
    // The runtime's mechanics at the reference scale, whatever input scale the shipped FCN-8s
    // carries (a heavy-recipe net ships enlarged 1.5x): "the input scale" below sets its own.
    fcn8s: withInputScale(await testModel(), 1),
    edge: await loadNodeModel(EDGE, { provider: "cpu", threads: 1 }),
  };
});

describe("segmentBatch", () => {
  for (const name of ["fcn8s", "edge"]) {
    it(`gives each input of a batch what a single run gives it (${name})`, async () => {
      const model = models[name];
      // Small inputs keep the test quick; the edge model resizes to its own resolution anyway.
      const inputs = images.map((image) => resized(image, 160, 120));
      const batch = await segmentBatch(
        model,
        inputs.map((image) => prepareInput(model, image)),
        { keepLogits: true },
      );
      for (const [i, image] of inputs.entries()) {
        const one = await segmentPrepared(model, prepareInput(model, image), { keepLogits: true });
        const a = labelsAtImageSize(batch[i]);
        const b = labelsAtImageSize(one);
        // Batched convolutions may sum in another order: allow a rare tie to flip.
        let differ = 0;
        for (let p = 0; p < a.length; p++) if (a[p] !== b[p]) differ++;
        expect(differ / a.length).toBeLessThan(0.001);
        const pa = probabilitiesAtImageSize(model, batch[i]);
        const pb = probabilitiesAtImageSize(model, one);
        let far = 0;
        for (let p = 0; p < pa.length; p++) if (Math.abs(pa[p] - pb[p]) > 1) far++;
        expect(far).toBe(0);
      }
    });
  }

  it("refuses inputs of different inference sizes", async () => {
    const model = models.fcn8s;
    const a = prepareInput(model, resized(images[0], 64, 48));
    const b = prepareInput(model, resized(images[0], 96, 64));
    await expect(segmentBatch(model, [a, b])).rejects.toThrow(/same inference size/);
  });
});

describe("the reference scale", () => {
  it("is recorded in the FCN-8s (CamVid's 480x360) and not in the fixed-resolution edge model", async () => {
    const meta = readModelMetadata(new Uint8Array(await readFile(resolve(REPO, "models/fcn8s.onnx"))));
    expect(meta.referencePixels).toBe(480 * 360);
    expect(models.edge.meta.referencePixels).toBeUndefined();
  });

  it("brings a 4x photo down to the training scale and returns a full-size mask from bilinear scores", async () => {
    const model = models.fcn8s;
    expect(inferenceSize(model.meta, 1920, 1440)).toEqual({ width: 480, height: 360 });
    expect(inferenceSize(model.meta, 320, 240)).toEqual({ width: 320, height: 240 });
    const frame = images[0];
    const big = resized(frame, frame.width * 4, frame.height * 4);
    const atFrame = labelsAtImageSize(await segment(model, frame));
    const result = await segment(model, big, { keepLogits: true });
    expect(result.scoreSize).toEqual({ width: 480, height: 360 });
    expect([result.width, result.height]).toEqual([1920, 1440]);
    const labels = labelsAtImageSize(result);
    expect(labels.length).toBe(1920 * 1440);
    // The 4x photo's mask, sampled at the frame's pixel centres, agrees with the frame's own.
    let same = 0;
    for (let y = 0; y < frame.height; y++)
      for (let x = 0; x < frame.width; x++)
        if (labels[(4 * y + 2) * 1920 + 4 * x + 2] === atFrame[y * frame.width + x]) same++;
    expect(same / atFrame.length).toBeGreaterThan(0.97);
    // Smooth borders: bilinear scores, not blocks of 4x4 nearest-neighbour labels.
    let offGrid = 0;
    for (let y = 0; y < 1440; y++)
      for (let x = 1; x < 1920; x++)
        if (labels[y * 1920 + x] !== labels[y * 1920 + x - 1] && x % 4 !== 0) offGrid++;
    expect(offGrid).toBeGreaterThan(0);
    const probabilities = probabilitiesAtImageSize(model, result);
    expect(probabilities.length).toBe(11 * 1920 * 1440);
  });
});

describe("the input scale", () => {
  it("enlarges every run, quality high's scales included, and keeps the mask at the image's size", async () => {
    const model = withInputScale(models.fcn8s, 1.5);
    expect(inferenceSize(model.meta, 320, 240)).toEqual({ width: 480, height: 360 });
    // A 4x photo comes down to the reference size first, then runs 1.5x larger than that.
    expect(inferenceSize(model.meta, 1920, 1440)).toEqual({ width: 720, height: 540 });
    const image = resized(images[0], 160, 120);
    const sizes = (p: PreparedInput) => p.scales?.map((v) => `${v.size.width}x${v.size.height}`);
    expect(sizes(prepareInput(model, image, { quality: "high" }))).toEqual(["180x135", "240x180", "300x225"]);
    // Other sets of scales, to measure them against today's (models/README.md).
    expect(sizes(prepareInput(model, image, { quality: "high", scales: [1, 2] }))).toEqual([
      "240x180",
      "480x360",
    ]);
    const result = await segment(model, image);
    expect(result.scoreSize).toEqual({ width: 240, height: 180 });
    expect(labelsAtImageSize(result).length).toBe(160 * 120);
  });

  it("is refused for a fixed-resolution model, and carried to an ensemble's members", () => {
    expect(() => withInputScale(models.edge, 1.5)).toThrow(/fixed resolution/);
    const before = models.fcn8s.meta.inputScale;
    const joined = withInputScale(withEnsemble(models.fcn8s, [models.fcn8s]), 1.25);
    expect(joined.ensemble?.map((m) => m.meta.inputScale)).toEqual([1.25]);
    expect(models.fcn8s.meta.inputScale).toBe(before); // the loaded model is left as it was
  });
});

describe("quality high", () => {
  it("runs mirrored and at three scales, and mostly agrees with the standard mode", async () => {
    const model = models.fcn8s;
    const image = images[1];
    const calls: number[][] = [];
    const session = model.session;
    const spy = {
      ...model,
      session: {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run: (feeds: Parameters<typeof session.run>[0], fetches?: readonly string[]) => {
          calls.push([...Object.values(feeds)[0].dims]);
          return session.run(feeds, fetches);
        },
      },
    };
    const high = await segment(spy, image, { quality: "high", keepLogits: true });
    expect(calls.map((d) => d.join("x"))).toEqual(["2x3x270x360", "2x3x360x480", "2x3x450x600"]);
    const standard = labelsAtImageSize(await segment(model, image));
    const labels = labelsAtImageSize(high);
    let same = 0;
    for (let p = 0; p < labels.length; p++) if (labels[p] === standard[p]) same++;
    expect(same / labels.length).toBeGreaterThan(0.9);
    // Its probabilities are the averaged ones: every pixel's classes sum to about 255.
    const probabilities = probabilitiesAtImageSize(model, high);
    const plane = image.width * image.height;
    for (const p of [0, 1234, plane - 1]) {
      let sum = 0;
      for (let c = 0; c < 11; c++) sum += probabilities[c * plane + p];
      expect(Math.abs(sum - 255)).toBeLessThanOrEqual(6);
    }
  });
});

describe("quality high with an ensemble", () => {
  /** The model with its logits scaled: another net's (different) softmax, same input handling. */
  const scaledLogits = (model: Model, factor: number): Model => ({
    ...model,
    meta: { ...model.meta, id: `${model.meta.id}-x${factor}` },
    session: {
      inputNames: model.session.inputNames,
      outputNames: model.session.outputNames,
      run: async (feeds, fetches) => {
        const out = await model.session.run(feeds, fetches);
        const scaled: typeof out = {};
        for (const [name, t] of Object.entries(out)) {
          const data = Float32Array.from(t.data as Float32Array, (v) => v * factor);
          scaled[name] = { data, dims: t.dims };
        }
        return scaled;
      },
    },
  });

  it("averages the members' probabilities with the model's, pixel by pixel", async () => {
    const model = models.fcn8s;
    const member = scaledLogits(model, 0.4);
    const image = resized(images[0], 240, 180);
    const options = { quality: "high", keepLogits: true } as const;
    const alone = (await segment(model, image, options)).logits!;
    const other = (await segment(member, image, options)).logits!;
    const both = (await segment(withEnsemble(model, [member]), image, options)).logits!;
    // Each returns log(mean probability): the ensemble's is the mean of the two means.
    let worst = 0;
    for (let i = 0; i < both.length; i += 97) {
      const expected = Math.log((Math.exp(alone[i]) + Math.exp(other[i])) / 2);
      worst = Math.max(worst, Math.abs(both[i] - expected));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it("is left out of standard runs, and a member that reads inputs differently is refused", async () => {
    const model = models.fcn8s;
    const image = images[0];
    const standard = labelsAtImageSize(await segment(model, image));
    const joined = withEnsemble(model, [scaledLogits(model, 0.4)]);
    expect(labelsAtImageSize(await segment(joined, image))).toEqual(standard);
    expect(withEnsemble(model, [])).toBe(model);
    expect(() => withEnsemble(model, [models.edge])).toThrow(/cannot join .*: different run resolution/);
  });
});

describe("ensembleMismatch", () => {
  it("names what a member must share with the model: classes, normalisation, sizing", () => {
    const base = models.fcn8s.meta;
    expect(ensembleMismatch(base, { ...base, id: "other", quantization: "fp16" })).toBeUndefined();
    const renamed = base.classes.map((c, i) => (i === 3 ? { ...c, name: "Lane" } : c));
    expect(ensembleMismatch(base, { ...base, classes: renamed })).toBe("different classes");
    expect(ensembleMismatch(base, { ...base, mean: [0, 0, 0] })).toBe("different normalisation");
    expect(ensembleMismatch(base, { ...base, resolution: { width: 320, height: 240 } })).toBe(
      "different run resolution",
    );
    expect(ensembleMismatch(base, { ...base, referencePixels: 1 })).toBe("different reference size");
    expect(ensembleMismatch(base, { ...base, inputScale: 1.5 })).toBe("different input scale");
  });
});
