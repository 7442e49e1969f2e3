/**
 * Preview benchmark, measured side by side in one run: POST /v1/preview through
 * `wrangler dev` (client-side latency, and the Worker's own Server-Timing inference) against
 * the same model on the same preprocessed tensor in onnxruntime-node; the Worker isolate's
 * memory, read through the V8 inspector (JS heap + ArrayBuffers + WebAssembly memories, what
 * Cloudflare's 128 MB per-isolate limit counts; see isolate-memory.ts), with workerd's
 * whole-process RSS beside it; and the deploy bundle (`wrangler deploy --dry-run`), raw and gzip.
 *
 * The large previews run in one isolate, one after the other, each with breakpoints on the
 * pipeline's stages (the first also once timed with a `Runtime.getHeapUsage` every 5 ms: it
 * shows the isolate answers only between tasks). The images are noisy, so their files are as
 * large as photos' (the body is held twice: in JavaScript and in the decoder's heap), in every
 * encoding whose decoder needs a different amount of memory; the last row sends the heaviest of
 * each format back to back. Phone photos (12 MP 4032x3024 and 48 MP 8064x6048 baseline JPEGs,
 * decoded at 1/8 from their DC coefficients, grid HEICs of 24 and 48 MP, reduced tile by tile,
 * and a 12 MP AVIF and a 48 MP grid AVIF, reduced from dav1d's YUV planes) are timed interleaved with the 480x360 request, and probed like the large previews; `npm run bench -- phones` measures only those rows.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { decodeImage } from "../../models/runtime/decode.ts";
import { FULL_LIMITS, PREVIEW_LIMITS } from "../../models/runtime/limits.ts";
import { initNodeCodecs, loadNodeModel, loadWasmModel } from "../../models/runtime/node.ts";
import { type Model, runGraph } from "../../models/runtime/segment.ts";
import { inferenceSize, preprocess } from "../../models/runtime/tensor.ts";
import { encodeImage, jpeg, noisyPattern, withExifOrientation } from "../fixtures/images.ts";
import { encodePngVariant } from "../fixtures/png-writer.ts";
import { descendants, freePort } from "../fixtures/system.ts";
import {
  describe,
  IsolateInspector,
  type IsolateMemory,
  type StageReading,
  totalBytes,
} from "./isolate-memory.ts";

const SAMPLE = "worker/demo/public/samples/0016E5_07959.jpg";
const MODEL = "models/fcn32s-edge-int8.onnx";
const BIG_SAMPLE = "test/artifacts/bench-3000x2000.jpg";
/**
 * Where the memory probes pause, on entry to each function: ImageData (the class the
 * emscripten decoders' glue constructs once it has copied the RGBA out of the heap: mozjpeg's
 * and libwebp's peak, heap at its largest plus the copy), resizeBilinearToPlanar (decoded; the
 * PNG decoder's heap, which holds the pixels, at its largest), segmentPrepared (resized: the
 * full-size pixels should be garbage), encodeLabelMapPng (after inference), pngChunk (the
 * compressed mask being framed).
 */
const STAGES = [
  "ImageData",
  "toRgba",
  "resizeBilinearToPlanar",
  "segmentPrepared",
  "encodeLabelMapPng",
  "pngChunk",
];

/** Phone photos as cameras write them: baseline 4:2:0 JPEGs of photo-like noise, q85. */
async function phoneCases(): Promise<LargeCase[]> {
  const cases: LargeCase[] = [];
  for (const [width, height, name] of [
    [4032, 3024, "12 MP"],
    [8064, 6048, "48 MP"],
  ] as const) {
    const bytes = await encodeImage("jpeg", noisyPattern(width, height, 12), {
      quality: 85,
      progressive: false,
      baseline: true,
    });
    cases.push({
      label: `${width}x${height} phone JPEG (${name}, baseline 4:2:0)`,
      bytes: new Uint8Array(bytes),
      type: "image/jpeg",
    });
  }
  // iPhone's HEIC layout, a grid of 512x512 tiles, decoded reduced one tile at a time. The
  // fixtures are smooth (tiny files): their figures are the decoder's, not a 5 MB body's.
  for (const [file, label] of [
    ["grid24.heic", "6048x4032 grid HEIC (24 MP, 512-pixel tiles, smooth fixture)"],
    ["grid48.heic", "8064x6048 grid HEIC (48 MP, 512-pixel tiles, smooth fixture)"],
  ]) {
    const bytes = new Uint8Array(readFileSync(join("models/runtime/fixtures/heif", file)));
    cases.push({ label, bytes, type: "image/heic" });
  }
  // Android's AVIF (one 8-bit 4:2:0 AV1 frame), decoded by dav1d to YUV and reduced from its heap.
  // Grid AVIFs of 1024x1024 tiles, decoded a tile at a time.
  for (const [file, label] of [
    ["phone12.avif", "4032x3024 AVIF (12 MP, 8-bit 4:2:0, smooth fixture)"],
    ["grid48-irot3.avif", "8192x6144 grid AVIF (48 MP, 1024-pixel tiles, irot 3, smooth fixture)"],
  ]) {
    const bytes = new Uint8Array(readFileSync(join("models/runtime/fixtures/heif", file)));
    cases.push({ label, bytes, type: "image/avif" });
  }
  return cases;
}

interface LargeCase {
  label: string;
  bytes: Uint8Array<ArrayBuffer>;
  type: string;
}

/**
 * 3000x2000 in each encoding whose decoder needs a different amount of memory, as large as a
 * photo's file (noise amplitude 20 at quality 90; PNG noise kept under the body limit).
 */
async function sixMegapixelCases(): Promise<LargeCase[]> {
  const [w, h] = [3000, 2000];
  const noisy = noisyPattern(w, h, 20);
  const jpegCase = async (label: string, options: Record<string, unknown>) => ({
    label: `3000x2000 JPEG ${label}`,
    bytes: (await encodeImage("jpeg", noisy, {
      quality: 90,
      auto_subsample: false,
      ...options,
    })) as Uint8Array<ArrayBuffer>,
    type: "image/jpeg",
  });
  return [
    await jpegCase("baseline 4:2:0", { progressive: false, baseline: true, chroma_subsample: 2 }),
    await jpegCase("progressive 4:2:0", { chroma_subsample: 2 }),
    await jpegCase("progressive 4:4:4", { chroma_subsample: 1 }),
    {
      label: "3000x2000 PNG RGBA 8-bit",
      bytes: (await encodeImage("png", noisyPattern(w, h, 2))) as Uint8Array<ArrayBuffer>,
      type: "image/png",
    },
    {
      label: "3000x2000 PNG RGB 8-bit",
      bytes: encodePngVariant(w, h, { colour: 2, depth: 8 }) as Uint8Array<ArrayBuffer>,
      type: "image/png",
    },
    {
      label: "3000x2000 WebP lossy",
      bytes: (await encodeImage("webp", noisy, { quality: 90 })) as Uint8Array<ArrayBuffer>,
      type: "image/webp",
    },
    {
      label: "3000x2000 WebP lossless",
      bytes: (await encodeImage("webp", noisyPattern(w, h, 2), { lossless: 1 })) as Uint8Array<ArrayBuffer>,
      type: "image/webp",
    },
  ];
}

export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/**
 * Resident memory of the whole workerd process under wrangler dev, in MB: `VmRSS` now or
 * `VmHWM` (the peak). It hosts the runtime and the local R2/D1/Queues simulators too, so it
 * says nothing about the per-isolate limit; kept as a cross-check of the isolate figures.
 */
function workerdMb(root: number, field: "VmRSS" | "VmHWM"): number {
  let most = 0;
  for (const pid of descendants(root)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      if (!/^Name:\s+workerd/m.test(status)) continue;
      most = Math.max(most, Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0) / 1024);
    } catch {}
  }
  return most;
}

function bundleSize(): { raw: number; gzip: number; files: number } {
  const out = mkdtempSync(join(tmpdir(), "fcn-bundle-"));
  const r = spawnSync("wrangler", ["deploy", "--dry-run", "--outdir", out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed: ${r.stderr.slice(-500)}`);
  let raw = 0;
  let gzip = 0;
  let files = 0;
  for (const name of readdirSync(out, { recursive: true }) as string[]) {
    const path = join(out, name);
    if (!statSync(path).isFile() || name.endsWith(".map") || name === "README.md") continue;
    const bytes = readFileSync(path);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    files++;
  }
  return { raw, gzip, files };
}

export interface PreviewBench {
  /** latency, inference side by side, sizes */
  rows: [string, string][];
  /** the Worker isolate's memory (JS heap + ArrayBuffers + every wasm memory), case by case */
  memory: [string, string][];
  notes: string[];
}

/** The largest reading of `pick` over the probes, and where it was. */
function peakStage(
  stages: StageReading[],
  pick: (s: StageReading) => IsolateMemory,
): [StageReading, IsolateMemory] {
  const best = stages.reduce((a, b) => (totalBytes(pick(b)) > totalBytes(pick(a)) ? b : a));
  return [best, pick(best)];
}

/**
 * `baselineModel`: another edge model file (say the previous one, `git show HEAD~1:models/...`)
 * timed in the same interleaved loop, so a retrained model shows it is no slower.
 */
export async function benchPreview(
  options: { requests?: number; baselineModel?: string; phonesOnly?: boolean } = {},
): Promise<PreviewBench> {
  const requests = options.requests ?? (options.phonesOnly ? 10 : 40);
  const phones = await phoneCases();
  mkdirSync("test/artifacts", { recursive: true });
  writeFileSync(BIG_SAMPLE, await jpeg(3000, 2000, { quality: 80 }));
  // A 4:3 baseline JPEG (as cameras write them) of about the preview pixel limit, photo-sized,
  // and the same with EXIF orientation 6 (shown rotated).
  const limitWidth = Math.floor(Math.sqrt((PREVIEW_LIMITS.maxPixels * 4) / 3) / 4) * 4;
  const limitHeight = (limitWidth / 4) * 3;
  const atLimit = await encodeImage("jpeg", noisyPattern(limitWidth, limitHeight, 20), {
    quality: 90,
    progressive: false,
    baseline: true,
    auto_subsample: false,
    chroma_subsample: 2,
  });
  const sixMegapixels = options.phonesOnly ? [] : await sixMegapixelCases();
  const port = await freePort();
  const inspectorPort = await freePort();
  const state = mkdtempSync(join(tmpdir(), "fcn-bench-state-"));
  const dev: ChildProcess = spawn(
    "wrangler",
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
      // hundreds of previews from one address: lift the preview rate limit (development only)
      "--var",
      "ENVIRONMENT:development",
      "--var",
      "PREVIEW_RATE_LIMIT:off",
    ],
    { stdio: "ignore", detached: true },
  );
  const base = `http://127.0.0.1:${port}`;
  let inspector: IsolateInspector | undefined;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/v1/health`)).ok) break;
      } catch {}
      if (i > 300) throw new Error("wrangler dev did not start");
      await new Promise((r) => setTimeout(r, 200));
    }
    const idle = workerdMb(dev.pid!, "VmRSS");
    inspector = await IsolateInspector.connect(inspectorPort);
    const body = readFileSync(SAMPLE);
    const send = async (bytes: Uint8Array<ArrayBuffer>, type = "image/jpeg") => {
      const r = await fetch(`${base}/v1/preview`, {
        method: "POST",
        body: bytes,
        headers: { "content-type": type },
      });
      return { r, body: await r.text() };
    };
    const post = async (bytes: Uint8Array<ArrayBuffer>, type = "image/jpeg") => {
      const { r, body } = await send(bytes, type);
      if (!r.ok) throw new Error(`preview answered ${r.status}: ${body.slice(0, 300)}`);
      return r;
    };
    const once = async () => {
      const t0 = performance.now();
      const r = await post(body);
      const timing = Object.fromEntries(
        (r.headers.get("server-timing") ?? "")
          .split(", ")
          .map((p) => [p.split(";")[0], Number(p.split("dur=")[1])]),
      );
      return { total: performance.now() - t0, inference: timing.inference as number };
    };
    await once(); // creates the model session
    const isolateIdle = await inspector.read({ gc: true });
    for (let i = 0; i < 4; i++) await once(); // JIT warm-up
    // Phone photos, each request interleaved with a 480x360 one: the ratio is what counts.
    const timed = async (bytes: Uint8Array<ArrayBuffer>) => {
      const t0 = performance.now();
      await post(bytes);
      return performance.now() - t0;
    };
    for (const c of phones) await timed(c.bytes); // warm-up
    const phoneTimes = phones.map(() => [] as number[]);
    const smallBeside: number[] = [];
    for (let i = 0; i < Math.min(requests, 10); i++) {
      smallBeside.push((await once()).total);
      for (const [k, c] of phones.entries()) phoneTimes[k].push(await timed(c.bytes));
    }
    const phoneRows: [string, string][] = [
      [`POST /v1/preview 480x360 JPEG, interleaved with the phone photos, p50 (n=${smallBeside.length})`, ""],
      ...phones.map((c, k): [string, string] => [
        `POST /v1/preview ${c.label}, whole request, p50 (n=${phoneTimes[k].length})`,
        `${percentile(phoneTimes[k], 50).toFixed(1)} ms (${(percentile(phoneTimes[k], 50) / percentile(smallBeside, 50)).toFixed(2)}x the 480x360 request)`,
      ]),
    ];
    phoneRows[0][1] = `${percentile(smallBeside, 50).toFixed(1)} ms`;
    if (options.phonesOnly) {
      const memoryRows: [string, string][] = [];
      for (const c of phones) {
        const { stages } = await inspector.probeStages(STAGES, () => post(c.bytes, c.type));
        const afterGc = await inspector.read({ gc: true });
        const [liveAt, live] = peakStage(stages, (st) => st.live);
        memoryRows.push([
          `${c.label} (${(c.bytes.length / 1e6).toFixed(1)} MB file)`,
          `peak ${describe(live)} at ${liveAt.stage}; ${(totalBytes(afterGc) / 1e6).toFixed(1)} MB idle again`,
        ]);
      }
      return {
        rows: phoneRows,
        memory: [["idle, after the first preview (GC)", describe(isolateIdle)], ...memoryRows],
        notes: [],
      };
    }
    // Interleave the Worker, native onnxruntime and the Worker's wasm engine in Node, so
    // machine noise hits all three alike. Each runs the graph alone, as Server-Timing does.
    await initNodeCodecs();
    const model = await loadNodeModel(MODEL, { provider: "cpu", threads: 1 });
    const wasmInNode = await loadWasmModel(MODEL);
    const baseline = options.baselineModel ? await loadWasmModel(options.baselineModel) : undefined;
    const image = await decodeImage(new Uint8Array(body), FULL_LIMITS);
    const size = inferenceSize(model.meta, image.width, image.height);
    const input = preprocess(image, size, model.meta);
    const timeGraph = async (m: Model) => {
      const t0 = performance.now();
      await runGraph(m, input, size.width, size.height);
      return performance.now() - t0;
    };
    for (let i = 0; i < 3; i++) {
      await Promise.all([timeGraph(model), timeGraph(wasmInNode), baseline && timeGraph(baseline)]);
    }
    const edge: { total: number; inference: number }[] = [];
    const native: number[] = [];
    const wasmNode: number[] = [];
    const baselineNode: number[] = [];
    for (let i = 0; i < requests; i++) {
      edge.push(await once());
      native.push(await timeGraph(model));
      wasmNode.push(await timeGraph(wasmInNode));
      if (baseline) baselineNode.push(await timeGraph(baseline));
    }
    const peakSmall = workerdMb(dev.pid!, "VmHWM");
    const afterSmall = await inspector.read({ gc: false });
    const afterSmallGc = await inspector.read({ gc: true });

    const memoryRows: [string, string][] = [];
    const mbOf = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const sampleCase = sixMegapixels[0];
    const sampled = await inspector.sampleDuring(post(sampleCase.bytes, sampleCase.type));
    const samplingNote =
      `Runtime.getHeapUsage, sent every 5 ms during a ${sampled.ms.toFixed(0)} ms preview, went ` +
      `unanswered for ${sampled.longestGapMs.toFixed(0)} ms of it (the inspector answers between ` +
      "tasks only), so the peaks above are read at function-call breakpoints instead.";
    const large: LargeCase[] = [
      {
        label: "3000x2000 JPEG, test pattern (progressive 4:2:2, q80)",
        bytes: readFileSync(BIG_SAMPLE),
        type: "image/jpeg",
      },
      ...sixMegapixels,
      {
        label: `${limitWidth}x${limitHeight} JPEG baseline 4:2:0 (preview pixel limit)`,
        bytes: new Uint8Array(atLimit),
        type: "image/jpeg",
      },
      {
        label: `${limitWidth}x${limitHeight} JPEG baseline 4:2:0, EXIF orientation 6`,
        bytes: new Uint8Array(withExifOrientation(atLimit, 6)),
        type: "image/jpeg",
      },
      ...phones,
    ];
    let worst = 0;
    const served: LargeCase[] = [];
    for (const c of large) {
      const label = `${c.label} (${mbOf(c.bytes.length)} file)`;
      const first = await send(c.bytes, c.type);
      if (!first.r.ok) {
        const code = /"code":"([a-z_]+)"/.exec(first.body)?.[1] ?? "";
        memoryRows.push([label, `refused before decoding: ${first.r.status} ${code}`]);
        continue;
      }
      served.push(c);
      const { stages } = await inspector.probeStages(STAGES, () => post(c.bytes, c.type));
      const rightAfter = await inspector.read({ gc: false });
      const afterGc = await inspector.read({ gc: true });
      const [liveAt, live] = peakStage(stages, (s) => s.live);
      const [, allocated] = peakStage(stages, (s) => s.allocated);
      worst = Math.max(worst, totalBytes(live));
      memoryRows.push([
        label,
        `peak ${describe(live)} at ${liveAt.stage}; ${mbOf(totalBytes(allocated))} before GC; ` +
          `${mbOf(totalBytes(rightAfter))} right after, ${mbOf(totalBytes(afterGc))} idle again`,
      ]);
    }
    // Every served case again, back to back by format (PNG, WebP, JPEG), probed (and collected)
    // only at the stages: a long-lived isolate that gets large uploads of every kind in a row.
    const mixed = ["image/png", "image/webp", "image/jpeg"].flatMap((type) =>
      served.filter((c) => c.type === type),
    );
    const { stages: mixedStages } = await inspector.probeStages(STAGES, async () => {
      for (const c of mixed) await post(c.bytes, c.type);
    });
    const [mixedAt, mixedPeak] = peakStage(mixedStages, (s) => s.live);
    worst = Math.max(worst, totalBytes(mixedPeak));
    memoryRows.push(
      [
        `all ${mixed.length} served cases back to back, PNG then WebP then JPEG`,
        `peak ${describe(mixedPeak)} at ${mixedAt.stage}`,
      ],
      ["**worst peak of all the large previews**", `**${mbOf(worst)}**`],
    );
    const peak = workerdMb(dev.pid!, "VmHWM");
    const bundle = bundleSize();
    const total = edge.map((e) => e.total);
    const inference = edge.map((e) => e.inference);
    const modelBytes = statSync(MODEL).size;
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const mb = (v: number) => `${(v / 1e6).toFixed(2)} MB`;
    const ratio = (a: number[], b: number[]) => `${(percentile(a, 50) / percentile(b, 50)).toFixed(2)}x`;
    return {
      rows: [
        [
          `POST /v1/preview 480x360 JPEG via wrangler dev, whole request, p50 (n=${requests})`,
          ms(percentile(total, 50)),
        ],
        ["POST /v1/preview, p95", ms(percentile(total, 95))],
        ...phoneRows,
        [
          `edge inference in workerd (onnxruntime-web wasm, 1 thread), p50, at ${size.width}x${size.height}`,
          ms(percentile(inference, 50)),
        ],
        [
          "same model and tensor, onnxruntime-web wasm in Node, p50 (workerd / Node)",
          `${ms(percentile(wasmNode, 50))} (${ratio(inference, wasmNode)})`,
        ],
        [
          "same model and tensor, onnxruntime-node CPU 1 thread, p50 (workerd / native)",
          `${ms(percentile(native, 50))} (${ratio(inference, native)})`,
        ],
        ...(options.baselineModel
          ? [
              [
                `baseline ${options.baselineModel}, onnxruntime-web wasm in Node, p50 (shipped / baseline)`,
                `${ms(percentile(baselineNode, 50))} (${ratio(wasmNode, baselineNode)})`,
              ] as [string, string],
            ]
          : []),
        ["edge model file", mb(modelBytes)],
        [
          `Worker bundle (wrangler deploy --dry-run, ${bundle.files} files), raw / gzip -9`,
          `${mb(bundle.raw)} / ${mb(bundle.gzip)}`,
        ],
      ],
      memory: [
        ["idle, after the first preview (GC)", describe(isolateIdle)],
        [`right after ${requests} previews of 480x360, before GC`, describe(afterSmall)],
        [`after ${requests} previews of 480x360, GC`, describe(afterSmallGc)],
        ...memoryRows,
        [
          "(cross-check) whole workerd process RSS: idle / after 480x360 / after the large previews",
          `${idle.toFixed(0)} / ${peakSmall.toFixed(0)} / ${peak.toFixed(0)} MB (runtime and local simulators included)`,
        ],
      ],
      notes: [samplingNote],
    };
  } finally {
    inspector?.close();
    try {
      process.kill(-dev.pid!, "SIGTERM");
    } catch {}
  }
}
