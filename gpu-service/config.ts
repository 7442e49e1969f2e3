/**
 * Every setting of the GPU service, read from the environment once, with defaults and
 * validation in one place. A bad value stops the service at start with every problem listed,
 * rather than surfacing as a strange failure on the first job.
 */
import { z } from "zod";
import { webhookSecretProblem } from "../protocol/standard-webhooks.ts";
import { DEFAULT_TILE_OVERLAP } from "./tiling.ts";

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
  /** further models averaged with it for quality "high" (an ensemble); empty: the model alone */
  ensembleModelPaths: string[];
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

/** Blank and whitespace-only values count as unset, as a shell's `NAME= ` does. */
const trimmed = (value: unknown) => (typeof value === "string" ? value.trim() || undefined : value);

/** A number setting in [min, max], `fallback` when unset; the message names the range and what was given. */
function numeric(fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, integer = false) {
  const kind = integer ? "an integer" : "a number";
  const fits = (raw: string) => {
    const value = Number(raw);
    return Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  };
  return z.preprocess(
    trimmed,
    z
      .string()
      .refine(fits, { error: (issue) => `must be ${kind} in [${min}, ${max}] (got "${issue.input}")` })
      .transform(Number)
      .default(fallback),
  );
}
const integer = (fallback: number, min: number, max?: number) => numeric(fallback, min, max, true);

/** One of `allowed` (case-insensitive), `fallback` when unset. */
function oneOf<const T extends readonly [string, ...string[]]>(fallback: T[number], allowed: T) {
  const lower = (value: unknown) => (typeof value === "string" ? trimmed(value.toLowerCase()) : value);
  return z.preprocess(
    lower,
    z
      .enum(allowed, { error: (issue) => `must be one of ${allowed.join(", ")} (got "${issue.input}")` })
      .default(fallback),
  );
}

/** A string that must be set; "is required" when it is not. */
const present = z.string({ error: (issue) => (issue.input === undefined ? "is required" : undefined) });
const url = (base: z.ZodString) =>
  base.refine(URL.canParse, { error: (issue) => `must be a URL (got "${issue.input}")` });
const optionalUrl = z.preprocess(trimmed, url(z.string()).optional());
const text = (fallback: string) => z.preprocess(trimmed, z.string().default(fallback));
/** A comma-separated list, blanks dropped; empty when unset. */
const list = z.preprocess(
  trimmed,
  z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    ),
);

/**
 * Every setting read from the environment, by its variable's name: its type, range and
 * default in one line. HEARTBEAT_SECONDS (whose default depends on the visibility timeout),
 * settings derived from several variables (credentials, the SQS endpoint, the region) and the
 * checks across settings follow in `loadConfig`.
 */
const settings = {
  QUEUE_URL: z.preprocess(trimmed, url(present)),
  CALLBACK_SECRET: z.preprocess(trimmed, present),
  EDGE_ORIGIN: optionalUrl,
  MODEL_PATH: text("models/fcn8s.onnx"),
  ENSEMBLE_MODEL_PATHS: list,
  PROVIDER: oneOf("auto", ["auto", "cpu", "cuda"]),
  ORT_THREADS: integer(0, 0, 1024),
  CONCURRENCY: integer(1, 1, 64),
  BATCH_SIZE: integer(1, 1, 64),
  BATCH_WINDOW_MS: numeric(10, 0, 10_000),
  VISIBILITY_TIMEOUT_SECONDS: integer(120, 1, 43_200),
  WAIT_TIME_SECONDS: integer(20, 0, 20),
  MAX_RECEIVES: integer(3, 1, 1000),
  RETRY_BACKOFF_SECONDS: numeric(5, 0, 43_200),
  TILE_MAX_PIXELS: integer(4_194_304, 4096),
  // Twice the network's reach, so tiled results equal untiled ones exactly (tiling.ts).
  TILE_SIZE: integer(2048, 64, 16_384),
  TILE_OVERLAP: integer(DEFAULT_TILE_OVERLAP, 0, 4096),
  SHUTDOWN_GRACE_SECONDS: numeric(25, 0, 3600),
  HTTP_TIMEOUT_SECONDS: numeric(30, 0.1, 3600),
  PORT: integer(8080, 0, 65_535),
  HOST: text("127.0.0.1"),
  LOG_LEVEL: oneOf("info", ["debug", "info", "warn", "error"]),
} satisfies Record<string, z.ZodType>;

type Settings = { [K in keyof typeof settings]: z.output<(typeof settings)[K]> };

/** Read and check the configuration from `env` (process.env by default). */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  /** The value of `name`, or its default (so later checks still run) with its problems noted. */
  const read = <T>(name: string, schema: z.ZodType<T>): T => {
    const result = schema.safeParse(env[name]);
    if (result.success) return result.data;
    problems.push(...result.error.issues.map((issue) => `${name} ${issue.message}`));
    return schema.safeParse(undefined).data as T;
  };
  const s = Object.fromEntries(
    Object.entries(settings).map(([name, schema]) => [name, read(name, schema as z.ZodType)]),
  ) as Settings;

  const visibilityTimeoutSeconds = s.VISIBILITY_TIMEOUT_SECONDS;
  const heartbeatSeconds = read(
    "HEARTBEAT_SECONDS",
    numeric(Math.min(30, visibilityTimeoutSeconds / 2), 0.05),
  );
  if (heartbeatSeconds >= visibilityTimeoutSeconds) {
    problems.push(
      `HEARTBEAT_SECONDS (${heartbeatSeconds}) must be shorter than VISIBILITY_TIMEOUT_SECONDS (${visibilityTimeoutSeconds})`,
    );
  }
  // Tiles start on multiples of the network's output stride (32) so every tile sees the same
  // pooling grid as the whole image; otherwise tiled and untiled results differ everywhere.
  if (s.TILE_SIZE % 32 !== 0) problems.push(`TILE_SIZE must be a multiple of 32 (got ${s.TILE_SIZE})`);
  if (s.TILE_OVERLAP % 32 !== 0)
    problems.push(`TILE_OVERLAP must be a multiple of 32 (got ${s.TILE_OVERLAP})`);
  if (s.TILE_OVERLAP >= s.TILE_SIZE / 2) problems.push("TILE_OVERLAP must be less than half of TILE_SIZE");

  let edgeOrigin: string | undefined;
  if (s.EDGE_ORIGIN) {
    edgeOrigin = new URL(s.EDGE_ORIGIN).origin;
    if (edgeOrigin !== s.EDGE_ORIGIN.replace(/\/$/, ""))
      problems.push(`EDGE_ORIGIN must be an origin such as https://fcn.example.com (got "${s.EDGE_ORIGIN}")`);
  }
  const endpointName = env.AWS_ENDPOINT_URL_SQS ? "AWS_ENDPOINT_URL_SQS" : "SQS_ENDPOINT";
  const sqsEndpoint = read(endpointName, optionalUrl);
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  let credentials: Config["credentials"];
  if (accessKeyId && secretAccessKey) {
    credentials = { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN?.trim() || undefined };
  } else if (sqsEndpoint) {
    // A local emulator checks no signature, but the SDK refuses to send unsigned requests.
    credentials = { accessKeyId: "local", secretAccessKey: "local" };
  }

  // Checked here, not at the first callback: a job would be worked on and then not reported.
  const secretProblem = s.CALLBACK_SECRET ? webhookSecretProblem(s.CALLBACK_SECRET) : undefined;
  if (secretProblem) problems.push(`CALLBACK_SECRET is ${secretProblem}`);
  if (problems.length) throw new ConfigError(problems);
  return {
    queueUrl: s.QUEUE_URL,
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "us-east-1",
    sqsEndpoint,
    credentials,
    callbackSecret: s.CALLBACK_SECRET,
    modelPath: s.MODEL_PATH,
    ensembleModelPaths: s.ENSEMBLE_MODEL_PATHS,
    provider: s.PROVIDER,
    threads: s.ORT_THREADS,
    concurrency: s.CONCURRENCY,
    batchSize: s.BATCH_SIZE,
    batchWindowMs: s.BATCH_WINDOW_MS,
    visibilityTimeoutSeconds,
    heartbeatSeconds,
    waitTimeSeconds: s.WAIT_TIME_SECONDS,
    maxReceives: s.MAX_RECEIVES,
    retryBackoffSeconds: s.RETRY_BACKOFF_SECONDS,
    tileMaxPixels: s.TILE_MAX_PIXELS,
    tileSize: s.TILE_SIZE,
    tileOverlap: s.TILE_OVERLAP,
    shutdownGraceSeconds: s.SHUTDOWN_GRACE_SECONDS,
    edgeOrigin,
    httpTimeoutSeconds: s.HTTP_TIMEOUT_SECONDS,
    port: s.PORT,
    host: s.HOST,
    logLevel: s.LOG_LEVEL,
  };
}
