/**
 * `npm run deploy -- --origin https://<worker-host> [--environment dev|prod] [-c key=value]...
 * [--dry-run]`: the whole system in one command. The GPU tier (`cdk deploy`, outputs to a
 * file), the Worker's D1, R2 bucket and queues (created, or reused when they exist), the D1
 * migrations, the Worker's vars from the stack's outputs and its secrets, then `wrangler
 * deploy`. Run again, it reuses what exists. The steps are data (scripts/deploy-plan.ts);
 * `--dry-run` prints them in order and touches nothing, the network included.
 *
 * Needs: AWS credentials (as `cdk deploy` does), `wrangler login` or CLOUDFLARE_API_TOKEN, the
 * AWS CLI, Docker (the GPU image). infra/README.md lists the same steps for doing them by hand.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { experimental_readRawConfig } from "wrangler";
import { stackIdFor } from "../infra/lib/config.ts";
import {
  type DeploySettings,
  d1Id,
  deployConfig,
  describeStep,
  listed,
  planDeploy,
  type Step,
  secretCommands,
  secretNames,
  secretSources,
  stackOutputs,
  throughPipe,
  type WorkerSecret,
  type WranglerConfig,
  workerMissing,
} from "./deploy-plan.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

const { values } = parseArgs({
  options: {
    origin: { type: "string", default: process.env.PUBLIC_BASE_URL },
    environment: { type: "string", default: "dev" },
    context: { type: "string", short: "c", multiple: true, default: [] },
    "dry-run": { type: "boolean", default: false },
  },
});

function fail(message: string): never {
  console.error(`deploy: ${message}`);
  process.exit(1);
}

if (!values.origin)
  fail("needs --origin https://<worker-host> (or PUBLIC_BASE_URL): the Worker's public origin");
if (!/^https:\/\/[^/]+$/.test(values.origin.replace(/\/$/, "")))
  fail(`--origin must be an https origin without a path, not ${values.origin}`);
if (values.environment !== "dev" && values.environment !== "prod") fail("--environment must be dev or prod");

const settings: DeploySettings = {
  origin: values.origin.replace(/\/$/, ""),
  environment: values.environment,
  context: values.context,
  outputsFile: "cdk.out/deploy-outputs.json",
  deployConfig: ".wrangler-deploy.json",
};
const { rawConfig } = experimental_readRawConfig({ config: path.join(ROOT, "wrangler.toml") });
const config = rawConfig as WranglerConfig;
const steps = planDeploy(config, settings);

if (values["dry-run"]) {
  console.log(`npm run deploy: ${steps.length} steps (dry run: nothing is run)\n`);
  for (const [i, step] of steps.entries()) console.log(`${describeStep(step, i)}\n`);
  process.exit(0);
}

/** Values known once earlier steps ran: the stack's outputs, the D1 id, the secrets. */
const known: Record<string, string> = {};
const fill = (arg: string) => arg.replace(/<(\w+)>/g, (whole, name: string) => known[name] ?? whole);

class CommandFailed extends Error {
  readonly output: string;
  constructor(argv: string[], output: string, status: number | null) {
    super(`${argv.slice(0, 4).join(" ")} ... exited with ${status}`);
    this.output = output;
  }
}

/** Runs a command; its output goes to the terminal unless captured. Throws CommandFailed. */
function run(argv: string[], options: { cwd?: string; capture?: boolean; input?: string } = {}): string {
  const filled = argv.map(fill);
  console.log(`$ ${filled.join(" ")}`);
  const result = spawnSync(filled[0], filled.slice(1), {
    cwd: path.join(ROOT, options.cwd ?? "."),
    encoding: "utf8",
    input: options.input,
    // stdin is never a terminal: wrangler then takes its prompts' defaults (apply, proceed).
    stdio: [options.input === undefined ? "ignore" : "pipe", options.capture ? "pipe" : "inherit", "pipe"],
  });
  if (result.stderr) process.stderr.write(result.stderr);
  if (result.status !== 0)
    throw new CommandFailed(filled, `${result.stdout ?? ""}${result.stderr}`, result.status);
  return result.stdout ?? "";
}

/** The secrets to send with the Worker's deploy: only those new or changed on this run. */
function gatherSecrets(listing: string | undefined): Record<string, string> {
  const sources = secretSources(secretNames(listing), { ADMIN_TOKEN: process.env.ADMIN_TOKEN });
  const values: Partial<Record<WorkerSecret, string>> = {};
  const commands = secretCommands(sources);
  if (commands.accessKey) {
    const created = JSON.parse(run(commands.accessKey, { capture: true })) as {
      AccessKey: { AccessKeyId: string; SecretAccessKey: string };
    };
    values.AWS_ACCESS_KEY_ID = created.AccessKey.AccessKeyId;
    values.AWS_SECRET_ACCESS_KEY = created.AccessKey.SecretAccessKey;
  }
  values.CALLBACK_SECRET = run(commands.callbackSecret, { capture: true }).trim();
  if (sources.URL_SIGNING_SECRET === "random") values.URL_SIGNING_SECRET = randomBytes(32).toString("hex");
  if (sources.ADMIN_TOKEN === "environment") values.ADMIN_TOKEN = process.env.ADMIN_TOKEN;
  if (sources.ADMIN_TOKEN === "random") {
    values.ADMIN_TOKEN = randomBytes(32).toString("hex");
    // The one time it is known outside the Worker: `npx fcn keys --admin-token` needs it.
    console.log(`\nADMIN_TOKEN (shown once; keep it in a password manager): ${values.ADMIN_TOKEN}\n`);
  }
  for (const [name, source] of Object.entries(sources)) console.log(`  ${name}: ${source}`);
  return values as Record<string, string>;
}

function execute(step: Step): void {
  console.log(`\n== ${step.title}`);
  switch (step.kind) {
    case "run": {
      if (step.input) run(throughPipe(step.command), { cwd: step.cwd, input: known.SecretsJson });
      else run(step.command, { cwd: step.cwd });
      if (step.id === "cdk-deploy") {
        const outputs = readFileSync(path.join(ROOT, "infra", settings.outputsFile), "utf8");
        Object.assign(known, stackOutputs(outputs, stackIdFor(settings.environment)));
      }
      return;
    }
    case "ensure": {
      let listing = run(step.list, { capture: true });
      if (listed(step.resource, step.name, listing)) console.log(`${step.name} exists: reused`);
      else {
        run(step.create);
        if (step.resource === "d1") listing = run(step.list, { capture: true });
      }
      if (step.resource === "d1") {
        const id = d1Id(step.name, listing);
        if (!id) throw new Error(`D1 database ${step.name} is not listed after its creation`);
        known.DatabaseId = id;
      }
      return;
    }
    case "write-config":
      writeFileSync(
        path.join(ROOT, step.path),
        `${JSON.stringify(deployConfig(config, known.DatabaseId), null, 2)}\n`,
      );
      return;
    case "secrets": {
      let listing: string | undefined;
      try {
        listing = run(step.list, { capture: true });
      } catch (error) {
        // Before the first deploy the Worker does not exist, and has no secrets; any other
        // failure stops here rather than replace secrets that may be set.
        if (!(error instanceof CommandFailed && workerMissing(error.output))) throw error;
      }
      known.SecretsJson = JSON.stringify(gatherSecrets(listing));
      return;
    }
  }
}

try {
  for (const step of steps) execute(step);
  console.log(`\nDeployed: ${settings.origin} (stack ${stackIdFor(settings.environment)})`);
} catch (error) {
  console.error(`deploy: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  const derived = path.join(ROOT, settings.deployConfig);
  if (existsSync(derived)) rmSync(derived);
}
