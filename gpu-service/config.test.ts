import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";
import { Counter, Histogram, ServiceMetrics } from "./metrics.ts";

const required = {
  QUEUE_URL: "http://127.0.0.1:9324/000000000000/fcn-jobs",
  CALLBACK_SECRET: "whsec_c2VjcmV0",
};

describe("configuration", () => {
  it("has defaults for everything but the queue and the callback secret", () => {
    const config = loadConfig(required);
    expect(config).toMatchObject({
      region: "us-east-1",
      modelPath: "models/fcn8s.onnx",
      provider: "auto",
      concurrency: 1,
      batchSize: 1,
      visibilityTimeoutSeconds: 120,
      heartbeatSeconds: 30,
      waitTimeSeconds: 20,
      maxReceives: 3,
      tileSize: 2048,
      tileOverlap: 448,
      port: 8080,
      host: "127.0.0.1",
      logLevel: "info",
      sqsEndpoint: undefined,
      credentials: undefined,
    });
  });

  it("lists every problem at once", () => {
    let error: unknown;
    try {
      loadConfig({ CONCURRENCY: "0", PROVIDER: "tpu", TILE_SIZE: "1000", HEARTBEAT_SECONDS: "200" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "QUEUE_URL is required",
      "HEARTBEAT_SECONDS (200) must be shorter than VISIBILITY_TIMEOUT_SECONDS (120)",
      "TILE_SIZE must be a multiple of 32 (got 1000)",
      "CALLBACK_SECRET is required",
      'PROVIDER must be one of auto, cpu, cuda (got "tpu")',
      'CONCURRENCY must be an integer in [1, 64] (got "0")',
    ]);
  });

  it("refuses a callback secret the Standard Webhooks library cannot use", () => {
    expect(() => loadConfig({ ...required, CALLBACK_SECRET: "not base64!" })).toThrow(
      /CALLBACK_SECRET is not a Standard Webhooks secret/,
    );
    expect(loadConfig({ ...required, CALLBACK_SECRET: "c2VjcmV0" }).callbackSecret).toBe("c2VjcmV0");
  });

  it("signs requests to a local endpoint with dummy credentials, and prefers AWS_ENDPOINT_URL_SQS", () => {
    const config = loadConfig({
      ...required,
      SQS_ENDPOINT: "http://a:1",
      AWS_ENDPOINT_URL_SQS: "http://b:2",
    });
    expect(config.sqsEndpoint).toBe("http://b:2");
    expect(config.credentials).toEqual({ accessKeyId: "local", secretAccessKey: "local" });
  });
});

describe("metrics exposition", () => {
  it("writes counters with labels and cumulative histogram buckets", () => {
    const counter = new Counter("jobs_total", "Jobs.");
    counter.inc({ outcome: "succeeded" });
    counter.inc({ outcome: "succeeded" });
    counter.inc({ outcome: 'we"ird' });
    expect(counter.render()).toBe(
      [
        "# HELP jobs_total Jobs.",
        "# TYPE jobs_total counter",
        'jobs_total{outcome="succeeded"} 2',
        'jobs_total{outcome="we\\"ird"} 1',
      ].join("\n"),
    );
    const histogram = new Histogram("latency_seconds", "Latency.", [0.1, 1]);
    for (const v of [0.05, 0.5, 5]) histogram.observe(v);
    expect(histogram.render().split("\n").slice(2)).toEqual([
      'latency_seconds_bucket{le="0.1"} 1',
      'latency_seconds_bucket{le="1"} 2',
      'latency_seconds_bucket{le="+Inf"} 3',
      "latency_seconds_sum 5.55",
      "latency_seconds_count 3",
    ]);
  });

  it("reports the execution provider as an info gauge", () => {
    const metrics = new ServiceMetrics();
    metrics.info.set(1, { provider: "cpu", model: "m" });
    expect(metrics.render()).toContain('fcn_gpu_service_info{provider="cpu",model="m"} 1\n');
  });
});
