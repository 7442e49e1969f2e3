import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { decodeImage, type Rgba, upright } from "../../models/runtime/decode.ts";
import { FULL_LIMITS } from "../../models/runtime/limits.ts";
import { ConfusionMatrix, scores } from "../../models/runtime/metrics.ts";
import { initNodeCodecs, loadModelFor } from "../../models/runtime/node.ts";
import { resizeLabelsNearest, resizeRgbaBilinear } from "../../models/runtime/resize.ts";
import { type Quality, segment, type UpsamplingMode, withInputScale } from "../../models/runtime/segment.ts";
import { labelsAtImageSize } from "../../models/runtime/tensor.ts";
import { camvidDir, camvidMissing } from "../data/location.ts";
import { ProgressBar } from "../progress.ts";
import type { Command } from "./types.ts";

export const evaluate: Command = {
  summary: "score a model on CamVid: the paper's four metrics and per-class IoU",
  help: `Usage: npx fcn eval --model <file.onnx> [--split val] [--drive ID] [--mode learned|shift-and-stitch]
                    [--quality standard|high [--ensemble <file.onnx>]...] [--upscale K]
                    [--input-scale S] [--limit N] [--json]

Runs the model exactly as the serving tiers do (same decoding, resize and metadata) on every
image of the split and scores it against the labels, ignoring void (class 11).

Options:
  --model <file>   ONNX model (required)
  --split <name>   train, val or train+val (default val; the test split is withheld)
  --drive <id>     only the frames of this drive, e.g. --split train+val --drive 0006R0: the
                   drive the cross-drive runs hold out (models/README.md), the closest proxy
                   for streets a model never saw
  --data <dir>     CamVid folder (default: $FCN_DATA_DIR, else data/camvid, else
                   ../shared/datasets/camvid; \`npx fcn data camvid\` downloads it)
  --mode <m>       learned (default) or shift-and-stitch
  --quality <q>    standard (default) or high (flips and three scales averaged, as jobs do)
  --ensemble <f>   with --quality high: another independently trained model whose softmax is
                   averaged with --model's (repeatable; the GPU tier's ENSEMBLE_MODEL_PATHS)
  --upscale <k>    enlarge every frame k times (bilinear) before segmenting, and score the mask
                   brought back to the label size: how the model holds up on photos larger
                   than CamVid's frames
  --input-scale <s>  run the model s times larger than its reference size instead of its
                   metadata's inputScale: how that value is chosen before \`fcn.export
                   --input-scale\` writes it (nets trained with wide scale jitter gain at 1.5)
  --provider <p>   auto (default), cpu, cuda, or wasm (onnxruntime-web, the Worker's engine)
  --limit <n>      only the first n images
  --json           print the scores as JSON`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        model: { type: "string" },
        split: { type: "string", default: "val" },
        drive: { type: "string" },
        data: { type: "string" },
        mode: { type: "string", default: "learned" },
        quality: { type: "string", default: "standard" },
        ensemble: { type: "string", multiple: true, default: [] },
        upscale: { type: "string", default: "1" },
        "input-scale": { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean", default: false },
        provider: { type: "string", default: "auto" },
      },
    });
    if (!values.model) throw new Error("needs --model (see --help)");
    if (!SPLITS.includes(values.split)) throw new Error("--split must be train, val or train+val");
    if (!["standard", "high"].includes(values.quality)) throw new Error("--quality must be standard or high");
    if (values.ensemble.length > 0 && values.quality !== "high")
      throw new Error("--ensemble needs --quality high");
    const upscale = Number(values.upscale);
    if (!(upscale >= 1 && upscale <= 8)) throw new Error("--upscale must be a number from 1 to 8");
    const inputScale = values["input-scale"] === undefined ? undefined : Number(values["input-scale"]);
    if (inputScale !== undefined && !(inputScale >= 0.25 && inputScale <= 4))
      throw new Error("--input-scale must be a number from 0.25 to 4");
    const root = resolve(values.data ?? camvidDir());
    let pairs = await framePairs(root, values.split, values.drive);
    if (pairs.length === 0) throw new Error(`no frames of drive ${values.drive} in ${values.split}`);
    if (values.limit) pairs = pairs.slice(0, Number(values.limit));
    const scored = values.drive ? `${values.split}, drive ${values.drive}` : values.split;
    await initNodeCodecs();
    const loaded = await loadModelFor(values.model, values.provider as string, values.ensemble);
    const model = inputScale === undefined ? loaded : withInputScale(loaded, inputScale);
    const members = model.ensemble ?? [];
    const classes = model.meta.classes.length;
    const matrix = new ConfusionMatrix(classes);
    const bar = new ProgressBar(pairs.length, `eval ${scored}`);
    const started = performance.now();
    for (const [i, [img, lbl]] of pairs.entries()) {
      const image = await decodeImage(new Uint8Array(await readFile(join(root, img))), FULL_LIMITS);
      const label = await decodeImage(new Uint8Array(await readFile(join(root, lbl))), FULL_LIMITS);
      const truth = new Uint8Array(label.width * label.height);
      const { data } = upright(label);
      for (let p = 0; p < truth.length; p++) truth[p] = data[p * 4];
      // A larger photo of the same scene: the frame enlarged, the mask scored back at label size.
      const input = upscale === 1 ? image : enlarged(upright(image), upscale);
      const result = await segment(model, input, {
        mode: values.mode as UpsamplingMode,
        quality: values.quality as Quality,
      });
      const labels = labelsAtImageSize(result);
      matrix.add(resizeLabelsNearest(labels, result.width, result.height, label.width, label.height), truth);
      bar.tick(i + 1, `mIoU ${(scores(matrix).meanIU * 100).toFixed(2)}`);
    }
    const s = scores(matrix);
    const seconds = (performance.now() - started) / 1000;
    if (values.json) {
      console.log(
        JSON.stringify({
          model: model.meta.id,
          ensemble: members.map((m) => m.meta.id),
          split: values.split,
          drive: values.drive ?? null,
          mode: values.mode,
          quality: values.quality,
          upscale,
          inputScale: model.meta.inputScale ?? 1,
          images: pairs.length,
          seconds,
          ...s,
          classes: model.meta.classes.map((c) => c.name),
        }),
      );
      return 0;
    }
    const pct = (v: number) => (v * 100).toFixed(2).padStart(6);
    const runScale = model.meta.inputScale ?? 1;
    const scale =
      (upscale === 1 ? "" : `, frames enlarged ${upscale}x`) +
      (runScale === 1 ? "" : `, input scale ${runScale}`);
    const ids = [model, ...members].map((m) => m.meta.id).join(" + ");
    console.log(
      `${ids} on CamVid ${scored} (${pairs.length} images, mode ${values.mode}, quality ${values.quality}${scale}, ${seconds.toFixed(1)} s)`,
    );
    console.log(`  pixel accuracy   ${pct(s.pixelAccuracy)}`);
    console.log(`  mean accuracy    ${pct(s.meanAccuracy)}`);
    console.log(`  mean IU          ${pct(s.meanIU)}`);
    console.log(`  f.w. IU          ${pct(s.frequencyWeightedIU)}`);
    console.log("  per-class IU");
    for (const [k, c] of model.meta.classes.entries())
      console.log(`    ${c.name.padEnd(12)} ${pct(s.iu[k])}`);
    return 0;
  },
};

const SPLITS = ["train", "val", "train+val"];

/**
 * (image, label) paths of a split's frames, relative to the CamVid folder; with `drive`, only
 * that drive's (a frame's name starts with its drive, e.g. 0006R0_f02400).
 */
export async function framePairs(root: string, split: string, drive?: string): Promise<[string, string][]> {
  const pairs: [string, string][] = [];
  for (const part of split.split("+")) {
    const list = join(root, `${part}.txt`);
    if (!existsSync(list)) {
      throw new Error(`${list} does not exist. ${camvidMissing()}, or pass --data <dir>`);
    }
    for (const line of (await readFile(list, "utf8")).split("\n")) {
      if (line) pairs.push(line.split(" ") as [string, string]);
    }
  }
  return drive ? pairs.filter(([image]) => basename(image).startsWith(`${drive}_`)) : pairs;
}

const enlarged = (image: Rgba, k: number) =>
  resizeRgbaBilinear(image, Math.round(image.width * k), Math.round(image.height * k));
