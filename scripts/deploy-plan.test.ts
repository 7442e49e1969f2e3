import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import {
  type DeploySettings,
  d1Id,
  deployConfig,
  listed,
  planDeploy,
  queueNames,
  type Step,
  secretCommands,
  secretNames,
  secretSources,
  stackOutputs,
  throughPipe,
  type WranglerConfig,
  workerMissing,
} from "./deploy-plan.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const config = experimental_readRawConfig({ config: path.join(ROOT, "wrangler.toml") })
  .rawConfig as WranglerConfig;
const settings: DeploySettings = {
  origin: "https://fcn.example.com",
  environment: "prod",
  context: ["region=eu-west-1"],
  outputsFile: "cdk.out/deploy-outputs.json",
  deployConfig: ".wrangler-deploy.json",
};
const plan = planDeploy(config, settings);
const ids = plan.map((s) => s.id);
const command = (id: string) => (plan.find((s) => s.id === id) as Extract<Step, { kind: "run" }>).command;

describe("the deploy plan", () => {
  it("runs the CDK app first, then the Worker's resources, the migrations, the secrets, and the Worker last", () => {
    expect(ids).toEqual([
      "cdk-bootstrap",
      "cdk-deploy",
      "d1",
      "r2:fcn-jobs",
      "queue:fcn-webhooks",
      "queue:fcn-webhooks-dlq",
      "config",
      "migrations",
      "secrets",
      "worker-deploy",
    ]);
    expect(ids.indexOf("migrations")).toBeLessThan(ids.indexOf("worker-deploy"));
    expect(ids.indexOf("config")).toBeLessThan(ids.indexOf("migrations"));
  });

  it("creates or reuses every resource wrangler.toml binds", () => {
    const ensured = plan.filter((s) => s.kind === "ensure").map((s) => `${s.resource} ${s.name}`);
    expect(ensured).toEqual([
      ...(config.d1_databases ?? []).map((d) => `d1 ${d.database_name}`),
      ...(config.r2_buckets ?? []).map((b) => `r2 ${b.bucket_name}`),
      ...queueNames(config).map((q) => `queue ${q}`),
    ]);
    expect(queueNames(config)).toEqual(["fcn-webhooks", "fcn-webhooks-dlq"]); // the DLQ too
  });

  it("deploys the stack with its outputs to a file and the Worker's origin as edgeOrigin", () => {
    expect(command("cdk-deploy")).toEqual([
      "npx",
      "cdk",
      "deploy",
      "FcnGpuServiceProd",
      "--require-approval",
      "never",
      "--outputs-file",
      "cdk.out/deploy-outputs.json",
      "-c",
      "environment=prod",
      "-c",
      "edgeOrigin=https://fcn.example.com",
      "-c",
      "region=eu-west-1",
    ]);
  });

  it("applies the migrations remotely and deploys production with every var a deployment needs", () => {
    expect(command("migrations")).toEqual([
      "npx",
      "wrangler",
      "d1",
      "migrations",
      "apply",
      "fcn-jobs",
      "--remote",
      "--config",
      ".wrangler-deploy.json",
    ]);
    const deploy = command("worker-deploy").join(" ");
    expect(deploy).toContain("--var PUBLIC_BASE_URL:https://fcn.example.com");
    expect(deploy).toContain("--var SQS_QUEUE_URL:<QueueUrl>");
    expect(deploy).toContain("--var AWS_REGION:<Region>");
    expect(deploy).toContain("--secrets-file /dev/stdin"); // secrets never touch a file
    expect(deploy).not.toMatch(/ENVIRONMENT|--env /);
  });
});

describe("idempotency: what exists is reused", () => {
  const d1Listing = JSON.stringify([
    { uuid: "0c9d…", name: "other-db" },
    { uuid: "7d3f0a4e-0000-4000-8000-000000000001", name: "fcn-jobs" },
  ]);
  it("finds the D1 database and its id in `wrangler d1 list --json`, after wrangler's banner", () => {
    const printed = ` ⛅️ wrangler 4.164.0\n───\n${d1Listing}`;
    expect(listed("d1", "fcn-jobs", printed)).toBe(true);
    expect(d1Id("fcn-jobs", printed)).toBe("7d3f0a4e-0000-4000-8000-000000000001");
    expect(listed("d1", "fcn-jobs", "[]")).toBe(false);
    expect(listed("d1", "fcn-jobs-old", printed)).toBe(false);
  });

  it("finds a bucket in `wrangler r2 bucket list` by its whole name", () => {
    const printed =
      "Listing buckets...\nname:           fcn-jobs-archive\ncreation_date:  2026-01-01\n\nname:           fcn-jobs\ncreation_date:  2026-02-01\n";
    expect(listed("r2", "fcn-jobs", printed)).toBe(true);
    expect(listed("r2", "fcn-jobs", "Listing buckets...\nname:           fcn-jobs-archive\n")).toBe(false);
    expect(listed("r2", "fcn-jobs", "\u001b[37mname:\u001b[39m  \u001b[90mfcn-jobs\u001b[39m\n")).toBe(true);
  });

  it("finds a queue in `wrangler queues list`'s table by its whole name", () => {
    const table = [
      "┌──────┬──────────────────┬────────────┐",
      "│ id   │ name             │ created_on │",
      "├──────┼──────────────────┼────────────┤",
      "│ a1b2 │ fcn-webhooks-dlq │ 2026-01-01 │",
      "└──────┴──────────────────┴────────────┘",
    ].join("\n");
    expect(listed("queue", "fcn-webhooks-dlq", table)).toBe(true);
    expect(listed("queue", "fcn-webhooks", table)).toBe(false);
  });

  it("keeps secrets that are set: no new access key, signing secret or admin token on a second run", () => {
    const existing = secretNames(
      JSON.stringify(
        [
          "AWS_ACCESS_KEY_ID",
          "AWS_SECRET_ACCESS_KEY",
          "CALLBACK_SECRET",
          "URL_SIGNING_SECRET",
          "ADMIN_TOKEN",
        ].map((name) => ({ name, type: "secret_text" })),
      ),
    );
    const again = secretSources(existing, {});
    expect(again).toEqual({
      AWS_ACCESS_KEY_ID: "keep",
      AWS_SECRET_ACCESS_KEY: "keep",
      CALLBACK_SECRET: "callback-secret", // read again: it may have been rotated
      URL_SIGNING_SECRET: "keep",
      ADMIN_TOKEN: "keep",
    });
    expect(secretCommands(again).accessKey).toBeUndefined();
    expect(secretSources(existing, { ADMIN_TOKEN: "chosen" }).ADMIN_TOKEN).toBe("environment");
  });

  it("gives a first deploy every secret, and a key half set a new pair", () => {
    expect(secretSources(secretNames(undefined), {})).toEqual({
      AWS_ACCESS_KEY_ID: "access-key",
      AWS_SECRET_ACCESS_KEY: "access-key",
      CALLBACK_SECRET: "callback-secret",
      URL_SIGNING_SECRET: "random",
      ADMIN_TOKEN: "random",
    });
    expect(secretSources(new Set(["AWS_ACCESS_KEY_ID"]), {}).AWS_SECRET_ACCESS_KEY).toBe("access-key");
    expect(secretCommands(secretSources(new Set(), {})).accessKey).toEqual([
      "aws",
      "iam",
      "create-access-key",
      "--user-name",
      "<WorkerSenderUserName>",
      "--output",
      "json",
    ]);
  });

  it("takes only a missing Worker as 'no secrets yet', never another failure", () => {
    expect(
      workerMissing(
        '✘ [ERROR] Worker "fcn-edge" not found.\n\nIf this is a new Worker, run `wrangler deploy` first to create it.',
      ),
    ).toBe(true);
    expect(workerMissing("✘ [ERROR] A request to the Cloudflare API failed. [code: 10007]")).toBe(true);
    expect(workerMissing("✘ [ERROR] Authentication error [code: 10000]")).toBe(false);
    expect(workerMissing("✘ [ERROR] Account not found")).toBe(false);
  });

  it("reads the stack's outputs and its region from the outputs file", () => {
    const file = JSON.stringify({
      FcnGpuServiceProd: {
        QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/FcnGpuServiceProd-Jobs",
        DeadLetterQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/FcnGpuServiceProd-Dlq",
        WorkerSenderUserName: "FcnGpuServiceProd-WorkerSender",
        AlarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:alarms",
        CallbackSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:callback",
      },
    });
    expect(stackOutputs(file, "FcnGpuServiceProd")).toEqual({
      QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/FcnGpuServiceProd-Jobs",
      WorkerSenderUserName: "FcnGpuServiceProd-WorkerSender",
      CallbackSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:callback",
      Region: "eu-west-1",
    });
    expect(() => stackOutputs(file, "FcnGpuServiceDev")).toThrow(/no stack FcnGpuServiceDev/);
    expect(() => stackOutputs(JSON.stringify({ S: { QueueUrl: "x" } }), "S")).toThrow(/no output/);
  });
});

describe("the derived wrangler config", () => {
  it("is wrangler.toml with the real D1 id, and `wrangler deploy` accepts it with the plan's arguments (dry run)", () => {
    const id = "7d3f0a4e-0000-4000-8000-000000000001";
    const derived = deployConfig(config, id);
    expect({ ...derived, d1_databases: undefined }).toEqual({ ...config, d1_databases: undefined });
    expect(derived.d1_databases?.[0]).toEqual({ ...config.d1_databases?.[0], database_id: id });

    // At the repository root, as the deploy writes it, so its relative paths hold.
    const file = path.join(ROOT, `.wrangler-deploy-test-${process.pid}.json`);
    const outdir = mkdtempSync(path.join(tmpdir(), "fcn-deploy-plan-"));
    writeFileSync(file, JSON.stringify(derived));
    try {
      const args = command("worker-deploy")
        .slice(2)
        .map((a) => (a === ".wrangler-deploy.json" ? file : a))
        .map((a) =>
          a.replace("<QueueUrl>", "https://sqs.eu-west-1.amazonaws.com/1/q").replace("<Region>", "eu-west-1"),
        );
      const [shell, ...argv] = throughPipe([
        process.execPath,
        WRANGLER,
        ...args,
        "--dry-run",
        "--outdir",
        outdir,
      ]);
      const r = spawnSync(shell, argv, {
        cwd: ROOT,
        encoding: "utf8",
        input: JSON.stringify({ ADMIN_TOKEN: "from-stdin" }),
        env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
        timeout: 120_000,
      });
      const output = `${r.stdout}\n${r.stderr}`;
      expect(r.status, output).toBe(0);
      expect(output).toMatch(/env\.ENVIRONMENT \("production"\)/);
      for (const name of ["PUBLIC_BASE_URL", "SQS_QUEUE_URL", "AWS_REGION", "ADMIN_TOKEN"])
        expect(output, name).toMatch(new RegExp(`env\\.${name} \\("\\(hidden\\)"\\)`));
      expect(output).toMatch(/env\.DB \(fcn-jobs\)\s+D1 Database/);
    } finally {
      rmSync(file, { force: true });
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe("npm run deploy -- --dry-run", () => {
  const dryRun = (...args: string[]) =>
    spawnSync(process.execPath, ["scripts/deploy.ts", ...args], {
      cwd: ROOT,
      encoding: "utf8",
      // No credentials and no way out: a dry run needs neither.
      env: {
        PATH: process.env.PATH,
        HOME: tmpdir(),
        HTTPS_PROXY: "http://127.0.0.1:9",
        HTTP_PROXY: "http://127.0.0.1:9",
      },
      timeout: 60_000,
    });

  it("prints every step in order, the migrations before the Worker's deploy, and writes nothing", () => {
    const r = dryRun(
      "--dry-run",
      "--origin",
      "https://fcn.example.com",
      "--environment",
      "prod",
      "-c",
      "region=eu-west-1",
    );
    expect(r.status, r.stderr).toBe(0);
    const numbered = [...r.stdout.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
    expect(numbered).toEqual(plan.map((_, i) => i + 1));
    const at = (text: string) => r.stdout.indexOf(text);
    for (const text of [
      "npx cdk deploy FcnGpuServiceProd",
      "npx wrangler d1 create fcn-jobs",
      "npx wrangler r2 bucket create fcn-jobs",
      "npx wrangler queues create fcn-webhooks-dlq",
      "npx wrangler d1 migrations apply fcn-jobs --remote",
      "aws secretsmanager get-secret-value --secret-id <CallbackSecretArn>",
      "npx wrangler deploy --config .wrangler-deploy.json",
    ])
      expect(at(text), text).toBeGreaterThan(-1);
    expect(at("d1 migrations apply")).toBeLessThan(at("npx wrangler deploy"));
    expect(at("npx cdk deploy")).toBeLessThan(at("d1 create"));
    expect(existsSync(path.join(ROOT, ".wrangler-deploy.json"))).toBe(false);
  });

  it("refuses to start without the Worker's https origin", () => {
    const r = dryRun("--dry-run");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/needs --origin https:\/\/<worker-host>/);
    expect(dryRun("--dry-run", "--origin", "http://fcn.example.com").stderr).toMatch(
      /must be an https origin/,
    );
  });
});
