import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeImage } from "../../models/runtime/decode.ts";
import { FULL_LIMITS } from "../../models/runtime/limits.ts";
import { initNodeCodecs, loadModelFor } from "../../models/runtime/node.ts";
import { encodeLabelMapPng } from "../../models/runtime/png.ts";
import { type Quality, segment, type UpsamplingMode } from "../../models/runtime/segment.ts";
import { ProgressBar } from "../progress.ts";
import { collectImages, stem } from "./files.ts";
import type { Command } from "./types.ts";

export const predict: Command = {
  summary: "segment images with an ONNX model, writing palette PNG label maps",
  help: `Usage: npx fcn predict --model <file.onnx> --out <dir> [--mode learned|shift-and-stitch]
                       [--quality standard|high [--ensemble <file.onnx>]...] <images or dirs...>

Writes <out>/<basename>.png for every input: an 8-bit palette PNG whose pixel values are the
class ids and whose palette is the class colours, at the input's displayed size (EXIF
orientation applied). The model's own metadata says how to preprocess (resolution, mean/std).

Options:
  --model <file>   ONNX model exported by models/fcn/export.py (required)
  --out <dir>      output folder, created if missing (required)
  --mode <m>       learned (default) or shift-and-stitch (needs a model with a "coarse" output)
  --quality <q>    standard (default) or high: test-time augmentation (mirror and three scales,
                   scores averaged before the argmax), about 6x the inference time
  --ensemble <f>   with --quality high: another independently trained model whose softmax is
                   averaged too (repeatable): 6x more inference time per model
  --provider <p>   auto (default), cpu, cuda, or wasm: onnxruntime-web, the engine the Worker
                   runs, which reproduces its previews bit for bit`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        model: { type: "string" },
        out: { type: "string" },
        mode: { type: "string", default: "learned" },
        quality: { type: "string", default: "standard" },
        ensemble: { type: "string", multiple: true, default: [] },
        provider: { type: "string", default: "auto" },
      },
    });
    if (!values.model || !values.out || positionals.length === 0) {
      throw new Error("needs --model, --out and at least one image (see --help)");
    }
    if (!["standard", "high"].includes(values.quality)) throw new Error("--quality must be standard or high");
    if (values.ensemble.length > 0 && values.quality !== "high")
      throw new Error("--ensemble needs --quality high");
    const files = await collectImages(positionals);
    await Promise.all([initNodeCodecs(), mkdir(values.out, { recursive: true })]);
    const model = await loadModelFor(values.model, values.provider as string, values.ensemble);
    const palette = model.meta.classes.map((c) => c.color);
    const bar = new ProgressBar(files.length, "predict");
    let failures = 0;
    for (const [i, file] of files.entries()) {
      try {
        const image = await decodeImage(new Uint8Array(await readFile(file)), FULL_LIMITS);
        const result = await segment(model, image, {
          mode: values.mode as UpsamplingMode,
          quality: values.quality as Quality,
        });
        await writeFile(join(values.out, `${stem(file)}.png`), await encodeLabelMapPng(result, palette));
      } catch (error) {
        failures++;
        console.error(`\n${file}: ${error instanceof Error ? error.message : error}`);
      }
      bar.tick(i + 1, file);
    }
    console.log(
      `wrote ${files.length - failures} masks to ${values.out} (${model.meta.id}, ${model.provider})`,
    );
    return failures ? 1 : 0;
  },
};
