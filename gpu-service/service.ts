/**
 * Wiring: config -> model -> inference queue -> consumer -> HTTP server. main.ts adds the
 * process concerns (environment, signals, exit code); tests start the same service in-process.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { FULL_LIMITS } from "../models/runtime/limits.ts";
import {
  cudaProviderInstalled,
  initNodeCodecs,
  loadNodeModel,
  type NodeModel,
} from "../models/runtime/node.ts";
import { withEnsemble } from "../models/runtime/segment.ts";
import type { Config } from "./config.ts";
import { type ConsumerOptions, JobConsumer } from "./consumer.ts";
import { EdgeClient } from "./edge-client.ts";
import { type HttpServer, startHttpServer } from "./http.ts";
import { InferenceQueue } from "./inference.ts";
import { createLogger, type Logger } from "./log.ts";
import { ServiceMetrics } from "./metrics.ts";

export interface Service {
  config: Config;
  model: NodeModel;
  consumer: JobConsumer;
  http: HttpServer;
  metrics: ServiceMetrics;
  log: Logger;
  /** Drain (up to the grace period), then close the HTTP server and the SQS client. */
  stop(): Promise<void>;
}

/** An SQS client for the configured region, endpoint and credentials. */
export function createSqsClient(config: Config): SQSClient {
  return new SQSClient({
    region: config.region,
    endpoint: config.sqsEndpoint,
    credentials: config.credentials,
    // Long polls stay open for WaitTimeSeconds; everything else should answer quickly.
    requestHandler: { requestTimeout: (config.waitTimeSeconds + 10) * 1000 },
  });
}

/** Load the model once and start taking jobs. */
export async function startService(
  config: Config,
  options: { log?: Logger; beforeStage?: ConsumerOptions["beforeStage"]; model?: NodeModel } = {},
): Promise<Service> {
  const log = options.log ?? createLogger(config.logLevel);
  const metrics = new ServiceMetrics();
  const loadStarted = performance.now();
  await initNodeCodecs();
  const load = (path: string) => loadNodeModel(path, { provider: config.provider, threads: config.threads });
  const members = await Promise.all(config.ensembleModelPaths.map(load));
  const model = withEnsemble(options.model ?? (await load(config.modelPath)), members);
  log.info("model loaded", {
    model: model.meta.id,
    path: config.modelPath,
    provider: model.provider,
    provider_setting: config.provider,
    cuda_provider_installed: cudaProviderInstalled(),
    bytes: model.bytes,
    ensemble: members.map((m) => m.meta.id),
    ms: Math.round(performance.now() - loadStarted),
  });
  metrics.info.set({ provider: model.provider, model: model.meta.id }, 1);

  const inference = new InferenceQueue(model, {
    batchSize: config.batchSize,
    batchWindowMs: config.batchWindowMs,
    tileMaxPixels: config.tileMaxPixels,
    tileSize: config.tileSize,
    tileOverlap: config.tileOverlap,
    onRun: ({ inputs, ms }) => {
      metrics.inferenceSeconds.observe(ms / 1000);
      metrics.batchSize.observe(inputs);
    },
  });
  const sqs = createSqsClient(config);
  const consumer = new JobConsumer({
    sqs,
    queueUrl: config.queueUrl,
    inference,
    edge: new EdgeClient({
      callbackSecret: config.callbackSecret,
      edgeOrigin: config.edgeOrigin,
      timeoutMs: config.httpTimeoutSeconds * 1000,
      maxInputBytes: FULL_LIMITS.maxBytes,
    }),
    metrics,
    log,
    concurrency: config.concurrency,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    heartbeatSeconds: config.heartbeatSeconds,
    waitTimeSeconds: config.waitTimeSeconds,
    maxReceives: config.maxReceives,
    retryBackoffSeconds: config.retryBackoffSeconds,
    beforeStage: options.beforeStage,
  });
  const http = await startHttpServer({
    host: config.host,
    port: config.port,
    metrics,
    health: () => ({
      ok: consumer.state === "running",
      state: consumer.state,
      provider: model.provider,
      model: model.meta.id,
      in_flight: consumer.inFlight,
    }),
  });
  consumer.start();
  log.info("listening", { url: http.url, provider: model.provider });

  let stopping: Promise<void> | undefined;
  return {
    config,
    model,
    consumer,
    http,
    metrics,
    log,
    stop: () => {
      stopping ??= (async () => {
        await consumer.stop({ graceMs: config.shutdownGraceSeconds * 1000 });
        await http.close();
        sqs.destroy();
      })();
      return stopping;
    },
  };
}
