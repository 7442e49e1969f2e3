/**
 * Every setting of the GPU service, read from the environment once, with defaults and
 * validation in one place. A bad value stops the service at start with every problem listed,
 * rather than surfacing as a strange failure on the first job.
 */
import { webhookSecretProblem } from "../protocol/standard-webhooks.ts";

export type ProviderSetting = "auto" | "cpu" | "cuda";
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Config {
  queueUrl: string;
  region: string;
  /** SQS endpoint override (local emulator); undefined means the AWS default for the region */
  sqsEndpoint: string | undefined;
  /** explicit credentials; undefined leaves them to the SDK's default chain (task role) */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  callbackSecret: string;
  modelPath: string;
  provider: ProviderSetting;
  /** onnxruntime intra-op threads; 0 lets onnxruntime choose */
  threads: number;
  /** messages held and worked on at once */
  concurrency: number;
  /** same-size inputs run as one onnxruntime batch, at most this many */
  batchSize: number;
  /** how long an input waits for batch partners when the model is idle */
  batchWindowMs: number;
  visibilityTimeoutSeconds: number;
  heartbeatSeconds: number;
  waitTimeSeconds: number;
  /** the queue's RedrivePolicy maxReceiveCount: the attempt that reaches it is the last */
  maxReceives: number;
  /** first retry delay after a transient failure; doubles per attempt, capped at the visibility timeout */
  retryBackoffSeconds: number;
  /** inputs with more pixels than this are segmented in overlapping tiles */
  tileMaxPixels: number;
  tileSize: number;
  tileOverlap: number;
  shutdownGraceSeconds: number;
  /** the edge's public origin; when set, job URLs on any other origin are refused */
  edgeOrigin: string | undefined;
  /** timeout of each request to the edge (input, outputs, callback) */
  httpTimeoutSeconds: number;
  port: number;
  host: string;
  logLevel: LogLevel;
}

/** Thrown by loadConfig with every invalid or missing setting listed. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/** Read and check the configuration from `env` (process.env by default). */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const text = (name: string, fallback?: string): string => {
    const value = env[name]?.trim();
    if (value) return value;
    if (fallback === undefined) problems.push(`${name} is required`);
    return fallback ?? "";
  };
  const number = (
    name: string,
    fallback: number,
    check: { min: number; max?: number; integer?: boolean },
  ): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    const max = check.max ?? Number.MAX_SAFE_INTEGER;
    if (
      !Number.isFinite(value) ||
      value < check.min ||
      value > max ||
      (check.integer && !Number.isInteger(value))
    ) {
      const kind = check.integer ? "an integer" : "a number";
      problems.push(`${name} must be ${kind} in [${check.min}, ${max}] (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const raw = env[name]?.trim().toLowerCase();
    if (!raw) return fallback;
    if (!allowed.includes(raw as T)) {
      problems.push(`${name} must be one of ${allowed.join(", ")} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };
  const url = (name: string, value: string | undefined): string | undefined => {
    if (!value) return undefined;
    if (!URL.canParse(value)) problems.push(`${name} must be a URL (got "${value}")`);
    return value;
  };

  const queueUrl = url("QUEUE_URL", text("QUEUE_URL")) ?? "";
  const edgeOriginRaw = url("EDGE_ORIGIN", env.EDGE_ORIGIN?.trim() || undefined);
  let edgeOrigin: string | undefined;
  if (edgeOriginRaw && URL.canParse(edgeOriginRaw)) {
    edgeOrigin = new URL(edgeOriginRaw).origin;
    if (edgeOrigin !== edgeOriginRaw.replace(/\/$/, ""))
      problems.push(`EDGE_ORIGIN must be an origin such as https://fcn.example.com (got "${edgeOriginRaw}")`);
  }
  const sqsEndpoint = url(
    env.AWS_ENDPOINT_URL_SQS ? "AWS_ENDPOINT_URL_SQS" : "SQS_ENDPOINT",
    (env.AWS_ENDPOINT_URL_SQS ?? env.SQS_ENDPOINT)?.trim() || undefined,
  );
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  let credentials: Config["credentials"];
  if (accessKeyId && secretAccessKey) {
    credentials = { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN?.trim() || undefined };
  } else if (sqsEndpoint) {
    // A local emulator checks no signature, but the SDK refuses to send unsigned requests.
    credentials = { accessKeyId: "local", secretAccessKey: "local" };
  }

  const visibilityTimeoutSeconds = number("VISIBILITY_TIMEOUT_SECONDS", 120, {
    min: 1,
    max: 43_200,
    integer: true,
  });
  const heartbeatSeconds = number("HEARTBEAT_SECONDS", Math.min(30, visibilityTimeoutSeconds / 2), {
    min: 0.05,
  });
  if (heartbeatSeconds >= visibilityTimeoutSeconds) {
    problems.push(
      `HEARTBEAT_SECONDS (${heartbeatSeconds}) must be shorter than VISIBILITY_TIMEOUT_SECONDS (${visibilityTimeoutSeconds})`,
    );
  }
  // FCN-8s/VGG16 scores depend on input pixels up to ~224 px away (measured: a cut farther
  // than that changes no logit at all). An overlap of twice that keeps every pixel a tile owns
  // at least 224 px from the tile's cut edges, so tiled results equal untiled ones exactly.
  const tileSize = number("TILE_SIZE", 2048, { min: 64, max: 16_384, integer: true });
  const tileOverlap = number("TILE_OVERLAP", 448, { min: 0, max: 4096, integer: true });
  // Tiles start on multiples of the network's output stride (32) so every tile sees the same
  // pooling grid as the whole image; otherwise tiled and untiled results differ everywhere.
  if (tileSize % 32 !== 0) problems.push(`TILE_SIZE must be a multiple of 32 (got ${tileSize})`);
  if (tileOverlap % 32 !== 0) problems.push(`TILE_OVERLAP must be a multiple of 32 (got ${tileOverlap})`);
  if (tileOverlap >= tileSize / 2) problems.push("TILE_OVERLAP must be less than half of TILE_SIZE");

  // Checked here, not at the first callback: a job would be worked on and then not reported.
  const callbackSecret = text("CALLBACK_SECRET");
  const secretProblem = callbackSecret ? webhookSecretProblem(callbackSecret) : undefined;
  if (secretProblem) problems.push(`CALLBACK_SECRET is ${secretProblem}`);

  const config: Config = {
    queueUrl,
    region: text("AWS_REGION", env.AWS_DEFAULT_REGION?.trim() || "us-east-1"),
    sqsEndpoint,
    credentials,
    callbackSecret,
    modelPath: text("MODEL_PATH", "models/fcn8s.onnx"),
    provider: oneOf<ProviderSetting>("PROVIDER", "auto", ["auto", "cpu", "cuda"]),
    threads: number("ORT_THREADS", 0, { min: 0, max: 1024, integer: true }),
    concurrency: number("CONCURRENCY", 1, { min: 1, max: 64, integer: true }),
    batchSize: number("BATCH_SIZE", 1, { min: 1, max: 64, integer: true }),
    batchWindowMs: number("BATCH_WINDOW_MS", 10, { min: 0, max: 10_000 }),
    visibilityTimeoutSeconds,
    heartbeatSeconds,
    waitTimeSeconds: number("WAIT_TIME_SECONDS", 20, { min: 0, max: 20, integer: true }),
    maxReceives: number("MAX_RECEIVES", 3, { min: 1, max: 1000, integer: true }),
    retryBackoffSeconds: number("RETRY_BACKOFF_SECONDS", 5, { min: 0, max: 43_200 }),
    tileMaxPixels: number("TILE_MAX_PIXELS", 4_194_304, { min: 4096, integer: true }),
    tileSize,
    tileOverlap,
    shutdownGraceSeconds: number("SHUTDOWN_GRACE_SECONDS", 25, { min: 0, max: 3600 }),
    edgeOrigin,
    httpTimeoutSeconds: number("HTTP_TIMEOUT_SECONDS", 30, { min: 0.1, max: 3600 }),
    port: number("PORT", 8080, { min: 0, max: 65_535, integer: true }),
    host: text("HOST", "127.0.0.1"),
    logLevel: oneOf<LogLevel>("LOG_LEVEL", "info", ["debug", "info", "warn", "error"]),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
