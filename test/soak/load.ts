/**
 * `npm run test:soak` (not part of `npm test`): a bounded load test on loopback.
 *   1. POST /v1/preview with the 480x360 CamVid sample JPEG: LOAD_CONNECTIONS connections
 *      (default 4) for LOAD_DURATION seconds (default 10)
 *   2. POST /v1/jobs (multipart, one API key): LOAD_JOB_CONNECTIONS (2) for LOAD_JOB_DURATION
 *      seconds (3), with the per-key rate limit raised for the run (RATE_LIMIT_PER_MINUTE) so
 *      the accept path is measured, not the 429s; the GPU service is not started, so the jobs
 *      only queue
 * It reports throughput, p50/p90/p99 latency and the error rate of each, and the workerd
 * process's resident memory (VmRSS from /proc, sampled every second) at the start, its peak
 * and the end, and writes it all to test/artifacts/load.json.
 */
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { multipart } from "../fixtures/craft.ts";
import { ARTIFACTS, commandLineIncludes, descendants, PartsSystem, ROOT, sleep } from "../fixtures/system.ts";

const DURATION = Number(process.env.LOAD_DURATION ?? 10);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 4);
const JOB_DURATION = Number(process.env.LOAD_JOB_DURATION ?? 3);
const JOB_CONNECTIONS = Number(process.env.LOAD_JOB_CONNECTIONS ?? 2);
const SAMPLE = path.join(ROOT, "worker/demo/public/samples/0016E5_07959.jpg");

function workerdPid(wranglerPid: number): number {
  const pid = descendants(wranglerPid).find((p) => commandLineIncludes(p, "workerd"));
  if (!pid) throw new Error("no workerd process under wrangler dev");
  return pid;
}

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

/** One load phase as written to test/artifacts/load.json (read by the reliability report). */
export interface Phase {
  name: string;
  connections: number;
  duration_s: number;
  requests: number;
  throughput_rps: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  error_rate: number;
  statuses: Record<string, number>;
}

function phase(name: string, r: autocannon.Result): Phase {
  const statuses = Object.fromEntries(
    Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]),
  );
  const total = r.requests.total;
  const failed = r.non2xx + r.errors + r.timeouts;
  return {
    name,
    connections: r.connections,
    duration_s: r.duration,
    requests: total,
    throughput_rps: Number((total / r.duration).toFixed(2)),
    latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    ok: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    error_rate: Number((failed / Math.max(1, total + r.errors + r.timeouts)).toFixed(4)),
    statuses,
  };
}

const run = (options: autocannon.Options) =>
  new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });

const started = performance.now();
const system = await PartsSystem.start({ gpu: false, workerVars: { RATE_LIMIT_PER_MINUTE: "1000000" } });
try {
  const pid = workerdPid(system.worker!.child.pid!);
  const image = new Uint8Array(readFileSync(SAMPLE));
  // Warm up: the first preview compiles the model; a few more settle the JIT.
  for (let i = 0; i < 3; i++) {
    const r = await system.api.preview(image, "image/jpeg");
    if (r.status !== 200) throw new Error(`warm-up preview answered ${r.status}: ${await r.text()}`);
    await r.arrayBuffer();
  }
  const key = await system.api.newKey("load");
  const samples: { t: number; rss_mb: number; phase: string }[] = [];
  let current = "idle";
  const t0 = performance.now();
  const sample = () =>
    samples.push({
      t: Number(((performance.now() - t0) / 1000).toFixed(1)),
      rss_mb: Number(rssMb(pid).toFixed(1)),
      phase: current,
    });
  sample();
  const sampler = setInterval(sample, 1000);
  await sleep(2000);

  current = "preview";
  const preview = phase(
    "POST /v1/preview (480x360 JPEG)",
    await run({
      url: `${system.api.base}/v1/preview`,
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: Buffer.from(image),
      connections: CONNECTIONS,
      duration: DURATION,
      timeout: 30,
    }),
  );
  current = "idle";
  await sleep(2000);

  current = "jobs";
  const form = multipart([{ name: "image", filename: "sample.jpg", type: "image/jpeg", data: image }]);
  const jobs = phase(
    "POST /v1/jobs (multipart, 480x360 JPEG)",
    await run({
      url: `${system.api.base}/v1/jobs`,
      method: "POST",
      headers: { "content-type": form.contentType, authorization: `Bearer ${key.key}` },
      body: Buffer.from(form.bytes),
      connections: JOB_CONNECTIONS,
      duration: JOB_DURATION,
      timeout: 30,
    }),
  );
  current = "idle";
  await sleep(3000);
  clearInterval(sampler);
  sample();

  const rss = samples.map((s) => s.rss_mb);
  const memory = {
    process: `workerd (pid ${pid}, under wrangler dev)`,
    start_mb: rss[0],
    peak_mb: Math.max(...rss),
    end_mb: rss.at(-1)!,
    growth_mb: Number((rss.at(-1)! - rss[0]).toFixed(1)),
    // flat: the end of the run is within 25% (or 32 MB) of the start
    flat: rss.at(-1)! - rss[0] <= Math.max(32, rss[0] * 0.25),
    samples,
  };
  const report = {
    generated_at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      loadavg_at_start: loadavg().map((l) => Number(l.toFixed(2))),
      node: process.version,
    },
    settings: {
      preview: { connections: CONNECTIONS, duration_s: DURATION },
      jobs: { connections: JOB_CONNECTIONS, duration_s: JOB_DURATION, rate_limit_per_minute: 1_000_000 },
    },
    preview,
    jobs,
    memory,
  };
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(path.join(ARTIFACTS, "load.json"), `${JSON.stringify(report, null, 2)}\n`);

  const row = (p: Phase) =>
    `| ${p.name.padEnd(40)} | ${String(p.connections).padStart(4)} | ${String(p.requests).padStart(6)} | ${p.throughput_rps.toFixed(1).padStart(7)} | ${String(p.latency_ms.p50).padStart(6)} | ${String(p.latency_ms.p99).padStart(6)} | ${(p.error_rate * 100).toFixed(2).padStart(6)}% |`;
  console.log(`
| ${"route".padEnd(40)} | conn | reqs   | req/s   | p50 ms | p99 ms | errors  |
|${"-".repeat(42)}|------|--------|---------|--------|--------|---------|
${row(preview)}
${row(jobs)}

workerd RSS: start ${memory.start_mb} MB, peak ${memory.peak_mb} MB, end ${memory.end_mb} MB (${memory.flat ? "flat" : "GROWING"})
machine: ${report.machine.cpus} CPUs, load average ${report.machine.loadavg_at_start.join(" ")} at start
written to test/artifacts/load.json in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (preview.error_rate > 0.01 || jobs.error_rate > 0.01 || !memory.flat) process.exitCode = 1;
} finally {
  await system.stop();
}
