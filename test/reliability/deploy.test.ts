/**
 * The documented Worker deploy gives a production Worker with every var a deployment needs.
 * Runs the exact `npx wrangler deploy ...` line of infra/README.md (placeholders filled in)
 * with `--dry-run` and reads the bindings wrangler prints. Issue #15 finding 1: the
 * documented deploy used to run the Worker in development mode.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/** The plain vars a production Worker needs from its deploy command (see infra/README.md). */
const DEPLOY_VARS = ["PUBLIC_BASE_URL", "SQS_QUEUE_URL", "AWS_REGION"];

const PLACEHOLDERS: Record<string, string> = {
  "<worker-host>": "fcn.example.com",
  "<QueueUrl>": "https://sqs.eu-west-1.amazonaws.com/123456789012/FcnGpuServiceProd-Jobs",
  "<region>": "eu-west-1",
};

/** The documented deploy command's arguments after `npx wrangler`. */
function documentedDeploy(): string[] {
  const doc = readFileSync(path.join(ROOT, "infra/README.md"), "utf8");
  const lines = doc.split("\n").filter((l) => l.trim().startsWith("npx wrangler deploy"));
  expect(lines, "infra/README.md has one `npx wrangler deploy` command").toHaveLength(1);
  let line = lines[0].trim();
  for (const [placeholder, value] of Object.entries(PLACEHOLDERS)) line = line.replaceAll(placeholder, value);
  expect(line).not.toMatch(/<[^>]+>/); // every placeholder known
  return line.split(/\s+/).slice(2);
}

/** `env.NAME ("value")  Environment Variable` rows of wrangler's bindings table. */
function printedVars(output: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const m of output.matchAll(/env\.(\w+) \("(.*)"\)\s+Environment Variable/g)) vars[m[1]] = m[2];
  return vars;
}

describe("the documented deploy", () => {
  it("is production with PUBLIC_BASE_URL, SQS_QUEUE_URL and AWS_REGION set (wrangler deploy --dry-run)", () => {
    const args = documentedDeploy();
    expect(args).not.toContain("--env"); // no environment section could switch modes
    expect(args.join(" ")).not.toMatch(/ENVIRONMENT:/);
    const outdir = mkdtempSync(path.join(tmpdir(), "fcn-deploy-dry-"));
    try {
      const r = spawnSync(process.execPath, [WRANGLER, ...args, "--dry-run", "--outdir", outdir], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
        timeout: 120_000,
      });
      const output = `${r.stdout}\n${r.stderr}`;
      expect(r.status, output).toBe(0);
      const vars = printedVars(output);
      expect(vars.ENVIRONMENT).toBe("production");
      // wrangler hides values given with --var and prints wrangler.toml's: "(hidden)" means
      // the command set it, and wrangler.toml's local defaults never reach a deployment.
      for (const name of DEPLOY_VARS) expect(vars[name], `${name} in\n${output}`).toBe("(hidden)");
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("without any --var is still production, and not configured for jobs (PUBLIC_BASE_URL empty)", () => {
    const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
    const vars = toml.slice(toml.indexOf("[vars]"), toml.indexOf("\n[", toml.indexOf("[vars]") + 1));
    expect(vars).toMatch(/^ENVIRONMENT = "production"$/m);
    expect(vars).toMatch(/^PUBLIC_BASE_URL = ""$/m);
    expect(toml).not.toMatch(/^\[env\./m);
  });
});
