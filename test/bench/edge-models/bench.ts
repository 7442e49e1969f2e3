/**
 * A candidate edge model against the shipped one, both timed inside workerd (the bench-only
 * Worker beside this file, under `wrangler dev`), one request each in turn so that machine
 * noise hits both alike. Issue #31 asks an edge net to run "at equal or lower time in workerd";
 * onnxruntime-web in Node runs the same wasm but is not the Worker.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARTIFACTS, alive, freePort, launch, stopGroup, waitFor } from "../../fixtures/system.ts";
import { percentile } from "../preview.ts";

const HERE = "test/bench/edge-models";
const CANDIDATE = join(ARTIFACTS, "bench-candidate-edge.onnx");

type Row = [string, string];

/** p50 of the Worker's own graph time (and of the whole request) for each model, and their ratio. */
export async function benchEdgeModelsInWorkerd(candidate: string, runs = 40): Promise<Row[]> {
  mkdirSync(ARTIFACTS, { recursive: true });
  copyFileSync(candidate, CANDIDATE); // the Worker imports it from there (bundled as bytes)
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "fcn-bench-edge-models-"));
  const dev = launch("bench-worker", [
    "wrangler",
    "dev",
    "-c",
    `${HERE}/wrangler.toml`,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    state,
    "--show-interactive-dev-session=false",
  ]);
  try {
    const time = async (model: "shipped" | "candidate") => {
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}/?model=${model}`);
      if (!r.ok) throw new Error(`bench Worker answered ${r.status}: ${await r.text()}`);
      const { ms, width, height } = (await r.json()) as { ms: number; width: number; height: number };
      return { graph: ms, request: performance.now() - t0, size: `${width}x${height}` };
    };
    await waitFor(
      "the bench Worker to run the shipped model", // its first run also creates its session
      async () => {
        if (!alive(dev)) throw new Error(`wrangler dev exited:\n${dev.log.join("").slice(-3000)}`);
        return time("shipped").catch(() => false);
      },
      60_000,
      200,
    );
    for (let i = 0; i < 3; i++) {
      await time("shipped"); // warm-up (the candidate's first also creates its session)
      await time("candidate");
    }
    const shipped: Awaited<ReturnType<typeof time>>[] = [];
    const other: Awaited<ReturnType<typeof time>>[] = [];
    for (let i = 0; i < runs; i++) {
      shipped.push(await time("shipped"));
      other.push(await time("candidate"));
    }
    const p50 = (xs: number[]) => percentile(xs, 50);
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const graph = [p50(shipped.map((t) => t.graph)), p50(other.map((t) => t.graph))];
    const request = [p50(shipped.map((t) => t.request)), p50(other.map((t) => t.request))];
    return [
      [`shipped edge model in workerd, graph p50 (n=${runs}), at ${shipped[0].size}`, ms(graph[0])],
      [
        `${candidate} in workerd, graph p50, at ${other[0].size} (candidate / shipped)`,
        `${ms(graph[1])} (${(graph[1] / graph[0]).toFixed(2)}x)`,
      ],
      [
        "the same, whole request to the bench Worker, p50 (shipped / candidate)",
        `${ms(request[0])} / ${ms(request[1])} (${(request[1] / request[0]).toFixed(2)}x)`,
      ],
    ];
  } finally {
    await stopGroup(dev);
  }
}
