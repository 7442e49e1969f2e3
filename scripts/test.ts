/**
 * `npm test`: every check, in order, failing fast. Each step says what it runs so a red
 * run points at its cause.
 */
import { spawnSync } from "node:child_process";

const steps: [string, string, string[]][] = [
  ["system packages (Python, Chromium)", "bash", ["scripts/ensure-system-deps.sh"]],
  [
    "worker binding types (wrangler types)",
    "wrangler",
    ["types", "--strict-vars=false", "--env-interface", "Env", "worker/worker-configuration.d.ts"],
  ],
  ["lint and format (biome)", "biome", ["check", "."]],
  ["type-check (tsc 7)", "tsc", ["--noEmit", "-p", "tsconfig.json"]],
  ["type-check the Worker (tsc 7)", "tsc", ["--noEmit", "-p", "worker/tsconfig.json"]],
  [
    "model tests (Python, tiny shapes)",
    "/usr/bin/python3",
    ["-m", "tests"], // models/tests/__main__.py: unittest discovery, then each skip and its reason
  ],
  ["unit, workerd and end-to-end tests (vitest)", "vitest", ["run"]],
];

const only = process.argv.slice(2);
for (const [title, command, args] of steps) {
  if (only.length && !only.some((o) => title.includes(o))) continue;
  console.log(`\n== ${title}: ${command} ${args.join(" ")}`);
  const started = performance.now();
  const cwd = command.endsWith("python3") ? "models" : ".";
  const result = spawnSync(command, args, { stdio: "inherit", cwd, env: process.env });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`\n== FAILED: ${title} (${seconds} s)`);
    process.exit(result.status ?? 1);
  }
  console.log(`== ok: ${title} (${seconds} s)`);
}
