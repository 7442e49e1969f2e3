/**
 * `cdk synth` end to end, as a developer runs it: the CLI runs bin/app.ts with Node 24 from
 * node_modules/.bin, with cdk-nag registered, and no AWS credentials anywhere.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { INFRA_DIR, REPO_ROOT, STUB_IMAGE_CONTEXT } from "./helpers.ts";

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "fcn-infra-synth-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Until gpu-service/Dockerfile lands, synth against the stub; once it exists this synthesizes
// (and stages) the real image context with cdk.json's defaults.
const realDockerfile = existsSync(join(REPO_ROOT, "gpu-service", "Dockerfile"));
const imageContext = realDockerfile
  ? []
  : Object.entries(STUB_IMAGE_CONTEXT).flatMap(([key, value]) => ["-c", `${key}=${value}`]);

describe(`given no AWS credentials and the ${realDockerfile ? "real gpu-service Dockerfile" : "stub Dockerfile"}`, () => {
  it("when `cdk synth --quiet` runs in infra/, then it exits 0 and writes the FcnGpuServiceDev template", async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // The project's Node 24 (it runs bin/app.ts as TypeScript) ahead of the system's.
      PATH: [join(REPO_ROOT, "node_modules", ".bin"), process.env.PATH].join(delimiter),
      AWS_SHARED_CREDENTIALS_FILE: join(scratch, "no-credentials"),
      AWS_CONFIG_FILE: join(scratch, "no-config"),
      AWS_EC2_METADATA_DISABLED: "true",
      CDK_DISABLE_CLI_TELEMETRY: "true",
    };
    for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"])
      delete env[key];
    const out = join(scratch, "cdk.out");

    await run(
      join(REPO_ROOT, "node_modules", ".bin", "cdk"),
      ["synth", "--quiet", "--no-notices", "--output", out, ...imageContext],
      { cwd: INFRA_DIR, env, timeout: 120_000 },
    ); // rejects on a non-zero exit, with the CLI's stderr in the message

    const template = JSON.parse(readFileSync(join(out, "FcnGpuServiceDev.template.json"), "utf8"));
    expect(Object.keys(template.Resources).length).toBeGreaterThan(40);
    const report = JSON.parse(readFileSync(join(out, "validation-report.json"), "utf8"));
    expect(report.pluginReports.flatMap((r: { violations?: unknown[] }) => r.violations ?? [])).toEqual([]);
  }, 150_000);
});
