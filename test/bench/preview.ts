/**
 * Preview benchmark, measured side by side in one run: POST /v1/preview through
 * `wrangler dev` (client-side latency, and the Worker's own Server-Timing inference) against
 * the same model on the same preprocessed tensor in onnxruntime-node; workerd's peak memory;
 * and the deploy bundle (`wrangler deploy --dry-run`), raw and gzip.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { decodeImage } from "../../models/runtime/decode.ts";
import { FULL_LIMITS } from "../../models/runtime/limits.ts";
import { initNodeCodecs, loadNodeModel } from "../../models/runtime/node.ts";
import { runLogits } from "../../models/runtime/segment.ts";
import { inferenceSize, preprocess } from "../../models/runtime/tensor.ts";
import { jpeg } from "../fixtures/images.ts";
import { freePort } from "../fixtures/system.ts";

const SAMPLE = "worker/demo/public/samples/0016E5_07959.jpg";
const MODEL = "models/fcn32s-edge-int8.onnx";
const BIG_SAMPLE = "test/artifacts/bench-3000x2000.jpg";

export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function descendants(pid: number): number[] {
  const out = spawnSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout;
  const children = new Map<number, number[]>();
  for (const line of out.trim().split("\n")) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const all: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      all.push(c);
      walk(c);
    }
  };
  walk(pid);
  return all;
}

/**
 * Resident memory of the workerd process under wrangler dev, in MB: `VmRSS` now or `VmHWM`
 * (the peak). It hosts the local R2/D1/Queues simulators too, so the Worker's own share is
 * the growth over the idle baseline.
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
  rows: [string, string][];
}

export async function benchPreview(options: { requests?: number } = {}): Promise<PreviewBench> {
  const requests = options.requests ?? 40;
  mkdirSync("test/artifacts", { recursive: true });
  writeFileSync(BIG_SAMPLE, await jpeg(3000, 2000, { quality: 80 }));
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "fcn-bench-state-"));
  const dev: ChildProcess = spawn(
    "wrangler",
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
    ],
    { stdio: "ignore", detached: true },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/v1/health`)).ok) break;
      } catch {}
      if (i > 300) throw new Error("wrangler dev did not start");
      await new Promise((r) => setTimeout(r, 200));
    }
    const idle = workerdMb(dev.pid!, "VmRSS");
    const body = readFileSync(SAMPLE);
    const once = async () => {
      const t0 = performance.now();
      const r = await fetch(`${base}/v1/preview`, {
        method: "POST",
        body,
        headers: { "content-type": "image/jpeg" },
      });
      await r.arrayBuffer();
      if (!r.ok) throw new Error(`preview answered ${r.status}`);
      const timing = Object.fromEntries(
        (r.headers.get("server-timing") ?? "")
          .split(", ")
          .map((p) => [p.split(";")[0], Number(p.split("dur=")[1])]),
      );
      return { total: performance.now() - t0, inference: timing.inference as number };
    };
    for (let i = 0; i < 5; i++) await once(); // session creation and JIT warm-up
    // Interleave edge and native runs so machine noise hits both alike.
    await initNodeCodecs();
    const model = await loadNodeModel(MODEL, { provider: "cpu", threads: 1 });
    const image = await decodeImage(new Uint8Array(body), FULL_LIMITS);
    const size = inferenceSize(model.meta, image.width, image.height);
    const input = preprocess(image, size, model.meta);
    for (let i = 0; i < 3; i++) await runLogits(model, input, size.width, size.height);
    const edge: { total: number; inference: number }[] = [];
    const native: number[] = [];
    for (let i = 0; i < requests; i++) {
      edge.push(await once());
      const t0 = performance.now();
      await runLogits(model, input, size.width, size.height);
      native.push(performance.now() - t0);
    }
    const peakSmall = workerdMb(dev.pid!, "VmHWM");
    // A 6 MP photo (3000x2000, as in the tests) sets the memory peak.
    const big = readFileSync(BIG_SAMPLE);
    const r = await fetch(`${base}/v1/preview`, {
      method: "POST",
      body: big,
      headers: { "content-type": "image/jpeg" },
    });
    await r.arrayBuffer();
    const peak = workerdMb(dev.pid!, "VmHWM");
    const bundle = bundleSize();
    const total = edge.map((e) => e.total);
    const inference = edge.map((e) => e.inference);
    const modelBytes = statSync(MODEL).size;
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const mb = (v: number) => `${(v / 1e6).toFixed(2)} MB`;
    return {
      rows: [
        [`POST /v1/preview 480x360 JPEG via wrangler dev, p50 (n=${requests})`, ms(percentile(total, 50))],
        ["POST /v1/preview, p95", ms(percentile(total, 95))],
        [
          `edge inference in workerd (onnxruntime-web wasm, 1 thread), p50, at ${size.width}x${size.height}`,
          ms(percentile(inference, 50)),
        ],
        ["same model, same tensor, onnxruntime-node CPU 1 thread, p50", ms(percentile(native, 50))],
        [
          "ratio edge / native inference (p50)",
          `${(percentile(inference, 50) / percentile(native, 50)).toFixed(2)}x`,
        ],
        ["workerd resident memory, idle (runtime + local R2/D1/Queues simulators)", `${idle.toFixed(0)} MB`],
        [
          "workerd peak resident memory after the 480x360 previews",
          `${peakSmall.toFixed(0)} MB (+${(peakSmall - idle).toFixed(0)} over idle)`,
        ],
        [
          "workerd peak after one 3000x2000 preview",
          `${peak.toFixed(0)} MB (+${(peak - idle).toFixed(0)} over idle)`,
        ],
        ["edge model file", mb(modelBytes)],
        [`Worker bundle (wrangler deploy --dry-run, ${bundle.files} files), raw`, mb(bundle.raw)],
        ["Worker bundle, gzip -9", mb(bundle.gzip)],
      ],
    };
  } finally {
    try {
      process.kill(-dev.pid!, "SIGTERM");
    } catch {}
  }
}
