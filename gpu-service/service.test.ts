/**
 * The whole service: in-process (health, metrics, draining) and as the container runs it,
 * `node gpu-service/main.ts` in a child process, stopped with SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LocalQueue, startLocalQueue } from "../scripts/local-queue.ts";
import { jpeg } from "../test/fixtures/images.ts";
import { loadConfig } from "./config.ts";
import { createLogger } from "./log.ts";
import { startService } from "./service.ts";
import { EdgeStub } from "./test/edge-stub.ts";
import { gate, MODEL_PATH, nonEmpty, REPO, send, testModel, waitFor } from "./test/harness.ts";

let queue: LocalQueue;
let edge: EdgeStub;

beforeEach(async () => {
  queue = await startLocalQueue({ port: 0 });
  edge = await new EdgeStub().start();
});

afterEach(async () => {
  await Promise.all([queue.stop(), edge.stop()]);
});

const env = () => ({
  QUEUE_URL: queue.queueUrl,
  AWS_ENDPOINT_URL_SQS: queue.endpoint,
  CALLBACK_SECRET: edge.secret,
  MODEL_PATH,
  PROVIDER: "auto",
  ORT_THREADS: "1",
  WAIT_TIME_SECONDS: "1",
  PORT: "0",
  SHUTDOWN_GRACE_SECONDS: "10",
});

describe("the service", () => {
  it("serves /healthz and /metrics, and answers 503 while draining", async () => {
    const blocked = gate();
    const service = await startService(loadConfig(env()), {
      log: createLogger("error"),
      model: await testModel(),
      beforeStage: (stage, jobId) => (stage === "upload" && jobId === "slow" ? blocked.promise : undefined),
    });
    try {
      const health = await fetch(`${service.http.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, state: "running", provider: "cpu" });

      edge.addJob("fast", await jpeg(96, 64));
      await send(queue, edge.message("fast", { createdAt: new Date(Date.now() - 1500) }));
      await waitFor(() => nonEmpty(edge.accepted("fast", "succeeded")));
      await waitFor(async () => (await service.metrics.jobsEnded("succeeded")) === 1, 5000);
      const metrics = await fetch(`${service.http.url}/metrics`);
      expect(metrics.headers.get("content-type")).toContain("text/plain; version=0.0.4");
      const text = await metrics.text();
      expect(text).toContain('fcn_gpu_service_info{provider="cpu",model="fcn8s-');
      expect(text).toContain('fcn_gpu_service_jobs_total{outcome="succeeded"} 1');
      expect(text).toContain("fcn_gpu_service_job_duration_seconds_count 1");
      expect(text).toContain('fcn_gpu_service_queue_wait_seconds_bucket{le="1"} 0');
      expect(text).toContain('fcn_gpu_service_queue_wait_seconds_bucket{le="2.5"} 1');
      expect(text).toContain("fcn_gpu_service_jobs_in_flight 0");

      edge.addJob("slow", await jpeg(96, 64));
      await send(queue, edge.message("slow"));
      await waitFor(() => service.consumer.inFlight === 1, 10_000, "the slow job to start");
      const stopped = service.stop();
      const draining = await fetch(`${service.http.url}/healthz`);
      expect(draining.status).toBe(503);
      expect(await draining.json()).toMatchObject({ ok: false, state: "draining", in_flight: 1 });
      blocked.open();
      await stopped;
      expect(edge.accepted("slow", "succeeded")).toHaveLength(1);
    } finally {
      blocked.open();
      await service.stop();
    }
  });

  it("runs as `node gpu-service/main.ts` and exits 0 on SIGTERM", async () => {
    const child: ChildProcess = spawn(process.execPath, [join(REPO, "gpu-service/main.ts")], {
      cwd: REPO,
      // A one-member ensemble (the model's own file) checks that ENSEMBLE_MODEL_PATHS is loaded.
      env: { ...process.env, ...env(), ENSEMBLE_MODEL_PATHS: MODEL_PATH, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Record<string, unknown>[] = [];
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) lines.push(JSON.parse(line));
    });
    const exited = once(child, "exit");
    try {
      const listening = await waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`main.ts exited early: ${stderr}`);
          return lines.find((l) => l.msg === "listening");
        },
        30_000,
        "the service to listen",
      );
      const health = await fetch(`${listening.url}/healthz`);
      expect(health.status).toBe(200);
      const loaded = lines.find((l) => l.msg === "model loaded");
      expect(loaded).toMatchObject({ provider: "cpu", ensemble: [loaded?.model] });

      edge.addJob("spawned", await jpeg(96, 64));
      await send(queue, edge.message("spawned"));
      await waitFor(() => nonEmpty(edge.accepted("spawned", "succeeded")), 20_000);

      child.kill("SIGTERM");
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining(["shutting down", "consumer stopped", "stopped"]),
      );
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("has a Dockerfile that copies paths that exist and runs the same entrypoint", () => {
    const dockerfile = readFileSync(join(REPO, "gpu-service/Dockerfile"), "utf8");
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(" "));
    expect(sources).toEqual(
      expect.arrayContaining(["models/fcn8s.onnx", "models/runtime", "protocol", "gpu-service"]),
    );
    for (const source of sources) expect(existsSync(join(REPO, source)), source).toBe(true);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "gpu-service/main.ts"]');
    expect(dockerfile).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0/);
  });
});
