/** Shared pieces of the gpu-service tests: the model, a consumer on a local queue, waiting. */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { decodeImage, upright } from "../../models/runtime/decode.ts";
import { FULL_LIMITS } from "../../models/runtime/limits.ts";
import { initNodeCodecs, loadNodeModel, type NodeModel } from "../../models/runtime/node.ts";
import type { LocalQueue } from "../../scripts/local-queue.ts";
import { type ConsumerOptions, JobConsumer } from "../consumer.ts";
import { EdgeClient } from "../edge-client.ts";
import { type InferenceOptions, InferenceQueue } from "../inference.ts";
import { createLogger } from "../log.ts";
import { ServiceMetrics } from "../metrics.ts";
import { DEFAULT_TILE_OVERLAP } from "../tiling.ts";
import type { EdgeStub } from "./edge-stub.ts";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MODEL_PATH = resolve(REPO, "models/fcn8s.onnx");
export const SAMPLE = resolve(REPO, "worker/demo/public/samples/0016E5_07959.jpg");
export const SAMPLES = ["0016E5_07959", "0016E5_08085", "0016E5_08117"].map((s) =>
  resolve(REPO, `worker/demo/public/samples/${s}.jpg`),
);

let model: Promise<NodeModel> | undefined;
/** The real model on the CPU, one thread (the machine is shared), loaded once per file. */
export function testModel(): Promise<NodeModel> {
  model ??= initNodeCodecs().then(() => loadNodeModel(MODEL_PATH, { provider: "cpu", threads: 1 }));
  return model;
}

export async function decodeFile(path: string) {
  await initNodeCodecs();
  return upright(await decodeImage(new Uint8Array(await readFile(path)), FULL_LIMITS));
}

export interface TestConsumer {
  consumer: JobConsumer;
  metrics: ServiceMetrics;
  inference: InferenceQueue;
  sqs: SQSClient;
  /** every onnxruntime run: inputs per run */
  runs: number[];
  logs: Record<string, unknown>[];
  stop(options?: { graceMs: number; release?: boolean }): Promise<void>;
}

/** A consumer on `queue` talking to `edge`, with short timings suited to tests. */
export async function startConsumer(
  queue: LocalQueue,
  edge: EdgeStub,
  overrides: Partial<Omit<ConsumerOptions, "inference">> & { inference?: Partial<InferenceOptions> } = {},
): Promise<TestConsumer> {
  const { inference: inferenceOverrides, ...consumerOverrides } = overrides;
  const runs: number[] = [];
  const logs: Record<string, unknown>[] = [];
  const metrics = new ServiceMetrics();
  const inference = new InferenceQueue(await testModel(), {
    batchSize: 1,
    batchWindowMs: 0,
    tileMaxPixels: 4_194_304,
    tileSize: 2048,
    tileOverlap: DEFAULT_TILE_OVERLAP,
    onRun: ({ inputs }) => runs.push(inputs),
    ...inferenceOverrides,
  });
  const sqs = queue.client();
  const consumer = new JobConsumer({
    sqs,
    queueUrl: queue.queueUrl,
    inference,
    edge: new EdgeClient({ callbackSecret: edge.secret, timeoutMs: 10_000, maxInputBytes: 40 << 20 }),
    metrics,
    log: createLogger(process.env.TEST_LOG_LEVEL === "debug" ? "debug" : "info", (line) =>
      logs.push(JSON.parse(line)),
    ),
    concurrency: 1,
    visibilityTimeoutSeconds: 30,
    heartbeatSeconds: 10,
    waitTimeSeconds: 1,
    maxReceives: 3,
    retryBackoffSeconds: 0,
    ...consumerOverrides,
  });
  consumer.start();
  return {
    consumer,
    metrics,
    inference,
    sqs,
    runs,
    logs,
    stop: async (options = { graceMs: 5000 }) => {
      await consumer.stop(options);
      sqs.destroy();
    },
  };
}

export async function send(queue: LocalQueue, body: unknown): Promise<void> {
  const sqs = queue.client();
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queue.queueUrl,
      MessageBody: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  sqs.destroy();
}

/** Poll `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
type Falsy = undefined | null | false | 0 | "";
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  what = "condition",
): Promise<Exclude<T, Falsy>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, Falsy>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Byte-for-byte equality of two arrays (expect().toEqual is slow on millions of elements). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** The array if it has elements, else undefined (for waitFor). */
export const nonEmpty = <T>(items: T[]): T[] | undefined => (items.length ? items : undefined);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A promise with its resolve exposed: a gate a test opens when it wants. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}
