/**
 * Benchmark of the GPU service's model on this machine's CPU (a GPU run is the same code with
 * PROVIDER=cuda): FCN-8s throughput and latency with onnxruntime-node against PyTorch on the
 * same architecture, and shift-and-stitch against learned upsampling. Optionally, val mIoU of
 * both modes on a few CamVid images, through the same segment() path the eval command uses.
 *
 * `benchGpuService()` prints a table and returns its rows; run it alone with
 * `node test/bench/gpu-service.ts`.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { camvidDir } from "../../cli/data/location.ts";
import { decodeImage, type Rgba, upright } from "../../models/runtime/decode.ts";
import { FULL_LIMITS } from "../../models/runtime/limits.ts";
import { ConfusionMatrix, scores } from "../../models/runtime/metrics.ts";
import { initNodeCodecs, loadNodeModel, type NodeModel } from "../../models/runtime/node.ts";
import {
  type Quality,
  segment,
  type UpsamplingMode,
  withEnsemble,
  withInputScale,
} from "../../models/runtime/segment.ts";
import { inferenceSize, labelsAtImageSize } from "../../models/runtime/tensor.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface BenchOptions {
  modelPath?: string;
  /** onnxruntime intra-op threads and torch.set_num_threads (default 2, this machine's cores) */
  threads?: number;
  warmup?: number;
  /** timed runs at 480x360 (default 5) */
  runsSmall?: number;
  /** timed runs at 1920x1080 (default 2) */
  runsLarge?: number;
  /** timed shift-and-stitch runs at 480x360 (default 2) */
  runsShiftStitch?: number;
  /** timed quality "high" runs at 480x360 (default 2) */
  runsHighQuality?: number;
  /** the PyTorch interpreter, or null to skip PyTorch (default /usr/bin/python3) */
  python?: string | null;
  /** val images to score both modes on (default 0: skipped) */
  evalImages?: number;
  camvidDir?: string;
  /** where the table goes (default console.log) */
  print?: (line: string) => void;
}

export interface BenchRow {
  benchmark: string;
  size: string;
  runs: number;
  /** median latency of the network, ms (NaN for a row without timing) */
  p50_ms: number;
  /** 1000 / mean latency, batch 1 */
  images_per_s: number;
  note: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sizeText = (s: { width: number; height: number }) => `${s.width}x${s.height}`;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Nearest-neighbour resize of RGBA: a benchmark input of any size with real image content. */
function resizeNearest(image: Rgba, width: number, height: number): Rgba {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor((y * image.height) / height);
    for (let x = 0; x < width; x++) {
      const from = (sy * image.width + Math.floor((x * image.width) / width)) * 4;
      data.set(image.data.subarray(from, from + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

/** Network time (timings.inference) and end-to-end time of segment(), per timed run. */
async function timeSegment(
  model: NodeModel,
  image: Rgba,
  mode: UpsamplingMode,
  warmup: number,
  runs: number,
  quality: Quality = "standard",
): Promise<{ network: number[]; total: number[] }> {
  const network: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const started = performance.now();
    const result = await segment(model, image, { mode, quality });
    const elapsed = performance.now() - started;
    if (i >= warmup) {
      network.push(result.timings.inference);
      total.push(elapsed);
    }
  }
  return { network, total };
}

interface TorchReport {
  torch: string;
  threads: number;
  rows: { width: number; height: number; runs: number; ms: number[] }[];
}

async function timeTorch(
  python: string,
  threads: number,
  warmup: number,
  sizes: string[],
): Promise<TorchReport> {
  const args = [
    join(REPO, "test/bench/gpu_torch.py"),
    "--threads",
    String(threads),
    "--warmup",
    String(warmup),
  ];
  for (const size of sizes) args.push("--size", size);
  const { stdout } = await promisify(execFile)(python, args, {
    cwd: join(REPO, "models"),
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as TorchReport;
}

/** Mean IU of both upsampling modes on the first `count` val images. */
async function evaluateModes(
  model: NodeModel,
  camvidDir: string,
  count: number,
): Promise<Record<UpsamplingMode, number>> {
  const pairs = (await readFile(join(camvidDir, "val.txt"), "utf8"))
    .split("\n")
    .filter(Boolean)
    .slice(0, count)
    .map((line) => line.split(" ") as [string, string]);
  const classes = model.meta.classes.length;
  const matrices = {
    learned: new ConfusionMatrix(classes),
    "shift-and-stitch": new ConfusionMatrix(classes),
  };
  for (const [imagePath, labelPath] of pairs) {
    const image = await decodeImage(new Uint8Array(await readFile(join(camvidDir, imagePath))), FULL_LIMITS);
    const label = await decodeImage(new Uint8Array(await readFile(join(camvidDir, labelPath))), FULL_LIMITS);
    const truth = new Uint8Array(label.width * label.height);
    const { data } = upright(label);
    for (let p = 0; p < truth.length; p++) truth[p] = data[p * 4];
    for (const mode of ["learned", "shift-and-stitch"] as const) {
      matrices[mode].add(labelsAtImageSize(await segment(model, image, { mode })), truth);
    }
  }
  return {
    learned: scores(matrices.learned).meanIU,
    "shift-and-stitch": scores(matrices["shift-and-stitch"]).meanIU,
  };
}

/** Run the benchmark, print its table, return its rows. */
export async function benchGpuService(options: BenchOptions = {}): Promise<BenchRow[]> {
  const threads = options.threads ?? 2;
  const warmup = options.warmup ?? 1;
  const runsSmall = options.runsSmall ?? 5;
  const runsLarge = options.runsLarge ?? 2;
  const runsShiftStitch = options.runsShiftStitch ?? 2;
  const runsHighQuality = options.runsHighQuality ?? 2;
  const python = options.python === undefined ? "/usr/bin/python3" : options.python;
  const print = options.print ?? ((line: string) => console.log(line));

  await initNodeCodecs();
  const model = await loadNodeModel(options.modelPath ?? join(REPO, "models/fcn8s.onnx"), {
    provider: "cpu",
    threads,
  });
  const sample = upright(
    await decodeImage(
      new Uint8Array(await readFile(join(REPO, "worker/demo/public/samples/0016E5_07959.jpg"))),
      FULL_LIMITS,
    ),
  );
  const small = resizeNearest(sample, 480, 360);
  const large = resizeNearest(sample, 1920, 1080);
  const ortName = `FCN-8s onnxruntime-node ${model.provider}, ${threads} threads, batch 1`;

  const ortSmall = await timeSegment(model, small, "learned", warmup, runsSmall);
  const ortLarge = await timeSegment(model, large, "learned", warmup, runsLarge);
  const shiftStitch = await timeSegment(model, small, "shift-and-stitch", warmup, runsShiftStitch);
  const highQuality = await timeSegment(model, small, "learned", warmup, runsHighQuality, "high");
  // A second FCN-8s of the same architecture costs what the model's own file does (time does
  // not depend on the weights), so the file stands in for the ensemble's other member.
  const pair = withEnsemble(model, [model]);
  const highEnsemble = await timeSegment(pair, small, "learned", warmup, runsHighQuality, "high");
  // A model exported with --input-scale 1.5 (a net trained on wide scale jitter) runs a frame
  // 1.5x larger on each side.
  const enlarged = await timeSegment(withInputScale(model, 1.5), small, "learned", warmup, runsSmall);
  const torch = python
    ? await timeTorch(python, threads, warmup, [
        `${sizeText(inferenceSize(model.meta, 480, 360))}:${runsSmall}`,
        // PyTorch runs the network at the size onnxruntime runs it for a 1920x1080 image.
        `${sizeText(inferenceSize(model.meta, 1920, 1080))}:${runsLarge}`,
      ]).catch((error: unknown) => {
        print(`PyTorch skipped: ${error instanceof Error ? error.message.split("\n")[0] : error}`);
        return undefined;
      })
    : undefined;

  const rows: BenchRow[] = [];
  const torchMs = (width: number) => torch?.rows.find((r) => r.width === width)?.ms;
  for (const [size, width, timing, runs] of [
    ["480x360", 480, ortSmall, runsSmall],
    ["1920x1080", 1920, ortLarge, runsLarge],
  ] as const) {
    const runsAt = inferenceSize(model.meta, width, width === 480 ? 360 : 1080);
    const reference = torchMs(runsAt.width);
    const speedup = reference ? `${round(median(reference) / median(timing.network), 2)}x PyTorch; ` : "";
    const scaled =
      runsAt.width === width
        ? ""
        : `runs at ${runsAt.width}x${runsAt.height} (the training scale), scores resized bilinearly to ${size}; `;
    rows.push({
      benchmark: ortName,
      size,
      runs,
      p50_ms: round(median(timing.network)),
      images_per_s: round(1000 / mean(timing.network), 2),
      note: `${scaled}${speedup}end to end (pre + network + argmax) p50 ${round(median(timing.total))} ms`,
    });
  }
  if (torch) {
    for (const r of torch.rows) {
      rows.push({
        benchmark: `FCN-8s PyTorch ${torch.torch} cpu, ${torch.threads} threads, batch 1`,
        size: `${r.width}x${r.height}`,
        runs: r.runs,
        p50_ms: round(median(r.ms)),
        images_per_s: round(1000 / mean(r.ms), 2),
        note: "same architecture and width, untrained (time does not depend on weights), BN folded",
      });
    }
  }
  /** A row of network times on the 480x360 frame; `note` compares them with other rows. */
  const frameRow = (
    benchmark: string,
    timing: { network: number[] },
    runs: number,
    rateDigits: number,
    note: string,
  ) =>
    rows.push({
      benchmark,
      size: "480x360",
      runs,
      p50_ms: round(median(timing.network)),
      images_per_s: round(1000 / mean(timing.network), rateDigits),
      note,
    });
  const times = (timing: { network: number[] }, than: { network: number[] }, digits: number) =>
    round(median(timing.network) / median(than.network), digits);
  frameRow(
    `FCN-8s shift-and-stitch (stride ${model.meta.coarse?.stride ?? 8}, onnxruntime-node)`,
    shiftStitch,
    runsShiftStitch,
    3,
    `${times(shiftStitch, ortSmall, 1)}x the learned upsampling's time`,
  );
  frameRow(
    "FCN-8s quality high (mirror x scales 0.75/1/1.25, onnxruntime-node)",
    highQuality,
    runsHighQuality,
    3,
    `${times(highQuality, ortSmall, 1)}x the standard mode's network time; end to end p50 ${round(median(highQuality.total))} ms`,
  );
  frameRow(
    "FCN-8s quality high with a two-model ensemble (ENSEMBLE_MODEL_PATHS, onnxruntime-node)",
    highEnsemble,
    runsHighQuality,
    3,
    `${times(highEnsemble, highQuality, 2)}x quality high with one model, ${times(highEnsemble, ortSmall, 1)}x the standard mode's network time`,
  );
  frameRow(
    "FCN-8s at input scale 1.5 (metadata inputScale, onnxruntime-node)",
    enlarged,
    runsSmall,
    2,
    `runs at 720x540; ${times(enlarged, ortSmall, 2)}x the standard mode's network time`,
  );
  if (options.evalImages) {
    const camvid = options.camvidDir ?? camvidDir();
    const miou = await evaluateModes(model, camvid, options.evalImages);
    for (const mode of ["learned", "shift-and-stitch"] as const) {
      rows.push({
        benchmark: `FCN-8s val mIoU, ${mode}`,
        size: "480x360",
        runs: options.evalImages,
        p50_ms: Number.NaN,
        images_per_s: Number.NaN,
        note: `mean IU ${round(miou[mode] * 100, 2)}% on the first ${options.evalImages} val images (${model.meta.id})`,
      });
    }
  }
  printTable(rows, print);
  return rows;
}

function printTable(rows: BenchRow[], print: (line: string) => void): void {
  const header = ["benchmark", "size", "runs", "p50 ms", "images/s", "note"];
  const cells = rows.map((r) => [
    r.benchmark,
    r.size,
    String(r.runs),
    Number.isNaN(r.p50_ms) ? "-" : String(r.p50_ms),
    Number.isNaN(r.images_per_s) ? "-" : String(r.images_per_s),
    r.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i])).join(" | ");
  print(line(header));
  print(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const c of cells) print(line(c));
}

if (import.meta.main) {
  await benchGpuService({ evalImages: Number(process.env.BENCH_EVAL_IMAGES ?? 0) });
}
