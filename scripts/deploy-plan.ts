/**
 * What `npm run deploy` does, as data: the steps in order, and the decisions between them made
 * by pure functions of what the earlier steps printed. scripts/deploy.ts runs the steps (or,
 * with --dry-run, prints them); this module runs nothing, so its tests need no network.
 *
 * Values that only exist once an earlier step ran (the stack's outputs, the D1 database's id)
 * appear in commands as `<Name>` placeholders, filled in by the runner from its context.
 */
import { stripVTControlCharacters } from "node:util";
import { type DeploymentEnvironment, stackIdFor } from "../infra/lib/config.ts";

/** The parts of wrangler.toml the deploy reads (wrangler's raw config, as parsed). */
export interface WranglerConfig {
  name: string;
  main?: string;
  assets?: { directory?: string } & Record<string, unknown>;
  d1_databases?: { binding: string; database_name: string; database_id?: string; migrations_dir?: string }[];
  r2_buckets?: { binding: string; bucket_name: string }[];
  queues?: {
    producers?: { binding: string; queue: string }[];
    consumers?: { queue: string; dead_letter_queue?: string }[];
  };
  [key: string]: unknown;
}

export interface DeploySettings {
  /** The Worker's public https origin: PUBLIC_BASE_URL, and the GPU tier's `edgeOrigin`. */
  origin: string;
  /** CDK context `environment`: the stack FcnGpuServiceDev or FcnGpuServiceProd. */
  environment: DeploymentEnvironment;
  /** Further `-c key=value` for the CDK app (region, instanceType, maxInstances, ...). */
  context: string[];
  /** Where `cdk deploy` writes its outputs (relative to infra/ or absolute). */
  outputsFile: string;
  /** The derived wrangler config (the real D1 id) the wrangler steps use; at the repository root. */
  deployConfig: string;
}

/** A Cloudflare resource the Worker binds, created only when its listing lacks it. */
export type ResourceKind = "d1" | "r2" | "queue";

export type Step =
  | { kind: "run"; id: string; title: string; cwd: "." | "infra"; command: string[]; input?: string }
  | {
      kind: "ensure";
      id: string;
      title: string;
      resource: ResourceKind;
      name: string;
      list: string[];
      create: string[];
    }
  | { kind: "write-config"; id: string; title: string; path: string }
  | { kind: "secrets"; id: string; title: string; list: string[] };

/** Secrets the Worker reads (worker/config.ts, wrangler.toml): where each value comes from. */
export const WORKER_SECRETS = {
  AWS_ACCESS_KEY_ID: "a new access key of the stack's send-only IAM user (WorkerSenderUserName)",
  AWS_SECRET_ACCESS_KEY: "the same access key's secret",
  CALLBACK_SECRET: "the stack's Secrets Manager secret (CallbackSecretArn), read again on every deploy",
  URL_SIGNING_SECRET: "32 random bytes, hex",
  ADMIN_TOKEN: "$ADMIN_TOKEN when set, else 32 random bytes, hex, printed once",
} as const;
export type WorkerSecret = keyof typeof WORKER_SECRETS;

/** The stack outputs the Worker needs (infra/lib/gpu-service-stack.ts). */
export const STACK_OUTPUTS = ["QueueUrl", "WorkerSenderUserName", "CallbackSecretArn"] as const;

const wrangler = (...args: string[]) => ["npx", "wrangler", ...args];

/** Every queue the config names (producers, consumers, dead-letter queues), each once. */
export function queueNames(config: WranglerConfig): string[] {
  const names = [
    ...(config.queues?.producers ?? []).map((p) => p.queue),
    ...(config.queues?.consumers ?? []).flatMap((c) => [c.queue, c.dead_letter_queue ?? []].flat()),
  ];
  return [...new Set(names)];
}

/** The steps of a deploy, in order. */
export function planDeploy(config: WranglerConfig, settings: DeploySettings): Step[] {
  const context = [
    "-c",
    `environment=${settings.environment}`,
    "-c",
    `edgeOrigin=${settings.origin}`,
    ...settings.context.flatMap((c) => ["-c", c]),
  ];
  const stack = stackIdFor(settings.environment);
  const d1 = config.d1_databases ?? [];
  if (d1.length !== 1)
    throw new Error(`wrangler.toml binds ${d1.length} D1 databases; the deploy expects one`);
  const db = d1[0];
  const onConfig = ["--config", settings.deployConfig];
  const steps: Step[] = [
    {
      kind: "run",
      id: "cdk-bootstrap",
      title: "CDK bootstrap of the account and region (a no-op once done)",
      cwd: "infra",
      command: ["npx", "cdk", "bootstrap", ...context],
    },
    {
      kind: "run",
      id: "cdk-deploy",
      title: `the GPU tier: stack ${stack}, its outputs to ${settings.outputsFile}`,
      cwd: "infra",
      command: [
        "npx",
        "cdk",
        "deploy",
        stack,
        "--require-approval",
        "never",
        "--outputs-file",
        settings.outputsFile,
        ...context,
      ],
    },
    {
      kind: "ensure",
      id: "d1",
      title: `D1 database ${db.database_name}`,
      resource: "d1",
      name: db.database_name,
      list: wrangler("d1", "list", "--json"),
      create: wrangler("d1", "create", db.database_name),
    },
    ...(config.r2_buckets ?? []).map(
      (bucket): Step => ({
        kind: "ensure",
        id: `r2:${bucket.bucket_name}`,
        title: `R2 bucket ${bucket.bucket_name}`,
        resource: "r2",
        name: bucket.bucket_name,
        list: wrangler("r2", "bucket", "list"),
        create: wrangler("r2", "bucket", "create", bucket.bucket_name),
      }),
    ),
    ...queueNames(config).map(
      (queue): Step => ({
        kind: "ensure",
        id: `queue:${queue}`,
        title: `queue ${queue}`,
        resource: "queue",
        name: queue,
        list: wrangler("queues", "list"),
        create: wrangler("queues", "create", queue),
      }),
    ),
    {
      kind: "write-config",
      id: "config",
      title: `wrangler.toml with the D1 database's id, as ${settings.deployConfig} (removed after the deploy)`,
      path: settings.deployConfig,
    },
    {
      kind: "run",
      id: "migrations",
      title: `D1 migrations (${db.migrations_dir ?? "migrations"}), the ones not yet applied`,
      cwd: ".",
      command: wrangler("d1", "migrations", "apply", db.database_name, "--remote", ...onConfig),
    },
    {
      kind: "secrets",
      id: "secrets",
      title: "the Worker's secrets already set (none before its first deploy)",
      list: wrangler("secret", "list", "--format", "json", ...onConfig),
    },
    {
      kind: "run",
      id: "worker-deploy",
      title: "the Worker: production, vars from the stack's outputs, new secrets read from stdin",
      cwd: ".",
      command: wrangler(
        "deploy",
        ...onConfig,
        "--var",
        `PUBLIC_BASE_URL:${settings.origin}`,
        "--var",
        "SQS_QUEUE_URL:<QueueUrl>",
        "--var",
        "AWS_REGION:<Region>",
        "--secrets-file",
        "/dev/stdin",
      ),
      input: "<secrets JSON>",
    },
  ];
  return steps;
}

/** Whether a listing (what `step.list` printed) already holds the resource. */
export function listed(resource: ResourceKind, name: string, printed: string): boolean {
  const listing = stripVTControlCharacters(printed); // wrangler colours labels on a terminal
  if (resource === "d1") return d1Id(name, listing) !== undefined;
  if (resource === "r2")
    // `name:           fcn-jobs` lines (wrangler's labelled values), one per bucket.
    return [...listing.matchAll(/^name:\s+(\S+)\s*$/gm)].some((m) => m[1] === name);
  // A table: `│ <id> │ <name> │ ...` rows.
  return listing.split("\n").some((row) => row.split("│").some((cell) => cell.trim() === name));
}

/** The id of the D1 database `name` in `wrangler d1 list --json`'s output, if it is there. */
export function d1Id(name: string, listing: string): string | undefined {
  const start = listing.indexOf("[");
  if (start < 0) return undefined;
  const databases = JSON.parse(listing.slice(start)) as { uuid: string; name: string }[];
  return databases.find((d) => d.name === name)?.uuid;
}

/** The derived config the wrangler steps use: wrangler.toml with the real D1 database id. */
export function deployConfig(config: WranglerConfig, databaseId: string): WranglerConfig {
  return {
    ...config,
    d1_databases: (config.d1_databases ?? []).map((db) => ({ ...db, database_id: databaseId })),
  };
}

/** The stack's outputs from `cdk deploy --outputs-file`, with the region read from QueueUrl. */
export function stackOutputs(
  outputsJson: string,
  stack: string,
): Record<(typeof STACK_OUTPUTS)[number] | "Region", string> {
  const outputs = (JSON.parse(outputsJson) as Record<string, Record<string, string>>)[stack];
  if (!outputs) throw new Error(`the CDK outputs have no stack ${stack}`);
  for (const name of STACK_OUTPUTS)
    if (!outputs[name]) throw new Error(`stack ${stack} has no output ${name}`);
  const region = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\//.exec(outputs.QueueUrl)?.[1];
  if (!region) throw new Error(`QueueUrl ${outputs.QueueUrl} names no region`);
  return {
    QueueUrl: outputs.QueueUrl,
    WorkerSenderUserName: outputs.WorkerSenderUserName,
    CallbackSecretArn: outputs.CallbackSecretArn,
    Region: region,
  };
}

/** Names in `wrangler secret list --format json`'s output; none when the Worker does not exist. */
export function secretNames(listing: string | undefined): Set<string> {
  if (!listing) return new Set();
  const start = listing.indexOf("[");
  if (start < 0) return new Set();
  return new Set((JSON.parse(listing.slice(start)) as { name: string }[]).map((s) => s.name));
}

/**
 * `argv` with its stdin through a real pipe (`cat |`): Node hands a child's stdin over as a
 * socket, which `--secrets-file /dev/stdin` cannot open (ENXIO); the secrets still never touch
 * a file.
 */
export const throughPipe = (argv: string[]): string[] => ["sh", "-c", 'cat | "$@"', "sh", ...argv];

/** Whether `wrangler secret list` failed only because the Worker does not exist yet. */
export function workerMissing(output: string): boolean {
  // wrangler 4's words for API code 10007 (worker not found).
  return /Worker "[^"]+"(?: \(env: [^)]+\))? not found\.|\[code: 10007\]/.test(output);
}

export type SecretSource = "access-key" | "callback-secret" | "environment" | "random" | "keep";

/**
 * Where each secret's value comes from on this run. Kept when already set: a new access key
 * every run would exhaust the user's two, and a new signing secret or admin token would break
 * links and callers. CALLBACK_SECRET is always read again (it may have been rotated); an
 * ADMIN_TOKEN in the environment replaces the deployed one.
 */
export function secretSources(
  existing: Set<string>,
  environment: { ADMIN_TOKEN?: string },
): Record<WorkerSecret, SecretSource> {
  const hasKey = existing.has("AWS_ACCESS_KEY_ID") && existing.has("AWS_SECRET_ACCESS_KEY");
  return {
    AWS_ACCESS_KEY_ID: hasKey ? "keep" : "access-key",
    AWS_SECRET_ACCESS_KEY: hasKey ? "keep" : "access-key",
    CALLBACK_SECRET: "callback-secret",
    URL_SIGNING_SECRET: existing.has("URL_SIGNING_SECRET") ? "keep" : "random",
    ADMIN_TOKEN: environment.ADMIN_TOKEN ? "environment" : existing.has("ADMIN_TOKEN") ? "keep" : "random",
  };
}

/** A Worker with no secret yet: every source used. */
const NEW_WORKER = secretSources(new Set(), {});

/** The AWS CLI calls the secrets need: a new access key only when the Worker has none. */
export function secretCommands(sources: Record<WorkerSecret, SecretSource>): {
  accessKey?: string[];
  callbackSecret: string[];
} {
  return {
    accessKey:
      sources.AWS_ACCESS_KEY_ID === "access-key"
        ? ["aws", "iam", "create-access-key", "--user-name", "<WorkerSenderUserName>", "--output", "json"]
        : undefined,
    callbackSecret: [
      "aws",
      "secretsmanager",
      "get-secret-value",
      "--secret-id",
      "<CallbackSecretArn>",
      "--region",
      "<Region>",
      "--query",
      "SecretString",
      "--output",
      "text",
    ],
  };
}

/** A step as one line of the dry run: what it does and the command(s) it would run. */
export function describeStep(step: Step, index: number): string {
  const shell = (argv: string[]) => argv.map((a) => (/^[\w@%+=:,./<>-]+$/.test(a) ? a : `'${a}'`)).join(" ");
  const head = `${index + 1}. ${step.title}`;
  switch (step.kind) {
    case "run":
      return `${head}\n   ${step.cwd === "infra" ? "(in infra/) " : ""}${shell(step.command)}${step.input ? ` < ${step.input}` : ""}`;
    case "ensure":
      return `${head}: reuse it if \`${shell(step.list)}\` lists ${step.name}, else\n   ${shell(step.create)}`;
    case "write-config":
      return `${head}\n   (local file, git-ignored)`;
    case "secrets": {
      const sources = Object.entries(WORKER_SECRETS).map(([name, from]) => `   ${name}: ${from}`);
      return [
        head,
        `   ${shell(step.list)}`,
        "   then, for the secrets not set yet (CALLBACK_SECRET every time):",
        ...sources,
        ...Object.values(secretCommands(NEW_WORKER)).map((argv) => `   ${shell(argv ?? [])}`),
      ].join("\n");
    }
  }
}
