import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";
import { DEFAULT_TILE_OVERLAP } from "./tiling.ts";

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
      ensembleModelPaths: [],
      provider: "auto",
      concurrency: 1,
      batchSize: 1,
      visibilityTimeoutSeconds: 120,
      heartbeatSeconds: 30,
      waitTimeSeconds: 20,
      maxReceives: 3,
      tileSize: 2048,
      tileOverlap: DEFAULT_TILE_OVERLAP,
      port: 8080,
      host: "127.0.0.1",
      logLevel: "info",
      sqsEndpoint: undefined,
      credentials: undefined,
    });
  });

  it("reads the quality-high ensemble as a comma-separated list of model files", () => {
    const config = loadConfig({ ...required, ENSEMBLE_MODEL_PATHS: " models/a.onnx, ,models/b.onnx " });
    expect(config.ensembleModelPaths).toEqual(["models/a.onnx", "models/b.onnx"]);
  });

  it("lists every problem at once", () => {
    let error: unknown;
    try {
      loadConfig({
        CONCURRENCY: "0",
        ORT_THREADS: "many",
        PROVIDER: "tpu",
        TILE_SIZE: "1000",
        HEARTBEAT_SECONDS: "200",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    // Each setting's own problems in the order they are declared, then those across settings.
    expect((error as ConfigError).problems).toEqual([
      "QUEUE_URL is required",
      "CALLBACK_SECRET is required",
      'PROVIDER must be one of auto, cpu, cuda (got "tpu")',
      'ORT_THREADS must be an integer in [0, 1024] (got "many")',
      'CONCURRENCY must be an integer in [1, 64] (got "0")',
      "HEARTBEAT_SECONDS (200) must be shorter than VISIBILITY_TIMEOUT_SECONDS (120)",
      "TILE_SIZE must be a multiple of 32 (got 1000)",
      "TILE_OVERLAP must be less than half of TILE_SIZE",
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
