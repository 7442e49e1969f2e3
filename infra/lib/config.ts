/**
 * Deployment settings of the GPU tier, read from CDK context: the defaults live in cdk.json,
 * `npx cdk deploy -c key=value` overrides them. Kept free of CDK constructs so it can be
 * checked on its own and fail with a message that names the context key.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

export type DeploymentEnvironment = "dev" | "prod";

export interface GpuTierConfig {
  /** dev: everything is deleted with the stack; prod: secret and logs are retained, stack is termination-protected. */
  environment: DeploymentEnvironment;
  /** Region to pin the stack to; undefined leaves it environment-agnostic (the CLI's region at deploy). */
  region?: string;
  /** EC2 instance type of the GPU fleet (one GPU per instance is assumed: one task per instance). */
  instanceType: string;
  /** Upper bound of the fleet, and so of the monthly bill under load. */
  maxInstances: number;
  /** Jobs (waiting + running) one task is expected to work off before another instance is worth its cold start. */
  backlogPerTask: number;
  /** Optional address subscribed to the alarm topic. */
  alarmEmail?: string;
  /**
   * The Worker's public https origin (its PUBLIC_BASE_URL). When set, the gpu-service refuses
   * job URLs on any other origin (EDGE_ORIGIN).
   */
  edgeOrigin?: string;
  /** Absolute path of the gpu-service image's build context (the repository root). */
  imageBuildContext: string;
  /** Dockerfile path, relative to the build context. */
  imageDockerfile: string;
}

/** Context keys the app reads; cdk.json holds a default for each. */
export const CONTEXT_KEYS = {
  environment: "environment",
  region: "region",
  instanceType: "instanceType",
  maxInstances: "maxInstances",
  backlogPerTask: "backlogPerTask",
  alarmEmail: "alarmEmail",
  edgeOrigin: "edgeOrigin",
  imageBuildContext: "gpuServiceBuildContext",
  imageDockerfile: "gpuServiceDockerfile",
} as const;

// Application Auto Scaling allows 20 step adjustments per policy and the scale-out policy has
// one step per task count, so the fleet cap doubles as a guard against a typo'd bill.
const MAX_INSTANCES_LIMIT = 20;

// GPU families only: the task asks for one GPU, so a CPU type would leave it unplaceable forever.
const GPU_INSTANCE_TYPE = /^(g\d+[a-z]*|p\d+[a-z]*)\.[a-z0-9]+$/;

/**
 * Reads and validates the context. `get` is `app.node.tryGetContext`; relative paths are
 * resolved against `baseDir` (the infra/ folder, where cdk.json lives).
 */
export function configFromContext(get: (key: string) => unknown, baseDir: string): GpuTierConfig {
  const environment = text(get, CONTEXT_KEYS.environment) ?? "dev";
  if (environment !== "dev" && environment !== "prod") {
    throw new Error(`context "${CONTEXT_KEYS.environment}" must be "dev" or "prod", got "${environment}"`);
  }

  const instanceType = text(get, CONTEXT_KEYS.instanceType) ?? "g5.xlarge";
  if (!GPU_INSTANCE_TYPE.test(instanceType)) {
    throw new Error(
      `context "${CONTEXT_KEYS.instanceType}" must be a GPU instance type (g5.xlarge, g6.xlarge, ...), got "${instanceType}"`,
    );
  }

  const alarmEmail = text(get, CONTEXT_KEYS.alarmEmail);
  if (alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(alarmEmail)) {
    throw new Error(`context "${CONTEXT_KEYS.alarmEmail}" is not an e-mail address: "${alarmEmail}"`);
  }

  const region = text(get, CONTEXT_KEYS.region);
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new Error(`context "${CONTEXT_KEYS.region}" is not an AWS region: "${region}"`);
  }

  const edgeOrigin = text(get, CONTEXT_KEYS.edgeOrigin)?.replace(/\/$/, "");
  if (
    edgeOrigin !== undefined &&
    (!URL.canParse(edgeOrigin) ||
      new URL(edgeOrigin).origin !== edgeOrigin ||
      !edgeOrigin.startsWith("https://"))
  ) {
    throw new Error(
      `context "${CONTEXT_KEYS.edgeOrigin}" must be an https origin such as https://fcn.example.com, got "${edgeOrigin}"`,
    );
  }

  const buildContext = text(get, CONTEXT_KEYS.imageBuildContext) ?? "..";
  return {
    environment,
    region,
    instanceType,
    maxInstances: integer(get, CONTEXT_KEYS.maxInstances, 2, 1, MAX_INSTANCES_LIMIT),
    backlogPerTask: integer(get, CONTEXT_KEYS.backlogPerTask, 50, 1, 10_000),
    alarmEmail,
    edgeOrigin,
    imageBuildContext: isAbsolute(buildContext) ? buildContext : resolve(baseDir, buildContext),
    imageDockerfile: text(get, CONTEXT_KEYS.imageDockerfile) ?? "gpu-service/Dockerfile",
  };
}

/**
 * The image asset needs its Dockerfile at synth time; say which context key to change instead
 * of CDK's bare "Cannot find file".
 */
export function assertImageSourceExists(config: GpuTierConfig): void {
  const dockerfile = resolve(config.imageBuildContext, config.imageDockerfile);
  if (!existsSync(dockerfile)) {
    throw new Error(
      `gpu-service Dockerfile not found at ${dockerfile}. Point context "${CONTEXT_KEYS.imageDockerfile}" ` +
        `(relative to "${CONTEXT_KEYS.imageBuildContext}" = ${config.imageBuildContext}) at it, e.g. ` +
        `-c ${CONTEXT_KEYS.imageDockerfile}=gpu-service/Dockerfile`,
    );
  }
}

/** PascalCase stack id per environment, so dev and prod can live in one account. */
export function stackIdFor(environment: DeploymentEnvironment): string {
  return `FcnGpuService${environment === "prod" ? "Prod" : "Dev"}`;
}

// An empty string in cdk.json means "not set", so a default can be listed without a value.
function text(get: (key: string) => unknown, key: string): string | undefined {
  const value = get(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string")
    throw new Error(`context "${key}" must be a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

// `-c key=4` arrives as the string "4", cdk.json gives the number 4: accept both.
function integer(
  get: (key: string) => unknown,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = get(key);
  if (value === undefined || value === null || value === "") return fallback;
  const n = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(
      `context "${key}" must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}
