/**
 * The committed contract: protocol/openapi.json (held equal to the document the Worker serves by
 * worker/openapi/openapi.test.ts) passes `redocly lint` without errors, and protocol/api-types.ts
 * is what openapi-typescript generates from it today; the demo page's copy of openapi-fetch is the
 * pinned package's.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { generateApiTypes, TYPES } from "../../scripts/openapi-client/generate.ts";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url);

describe("protocol/openapi.json", () => {
  it("passes redocly lint with zero errors", async () => {
    const { stdout } = await run(
      "node_modules/.bin/redocly",
      ["lint", "protocol/openapi.json", "--format=json"],
      {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
        maxBuffer: 16 * 1024 * 1024,
      },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
    const report = JSON.parse(stdout) as {
      totals: { errors: number };
      problems: { ruleId: string; severity: string; message: string }[];
    };
    const errors = report.problems.filter((p) => p.severity === "error");
    expect(errors.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals.errors).toBe(0);
  });

  it("is what protocol/api-types.ts was generated from (run `npm run gen:client`)", async () => {
    expect(readFileSync(TYPES, "utf8")).toBe(await generateApiTypes());
  });
});

describe("the demo page's vendored packages", () => {
  it.each([
    ["openapi-fetch.mjs", "openapi-fetch/dist/index.mjs"],
    ["eventsource-parser.mjs", "eventsource-parser/dist/index.js"],
  ])("%s is the installed package's build (run `npm run vendor`)", (copy, original) => {
    const vendored = readFileSync(new URL(`worker/demo/public/vendor/${copy}`, ROOT), "utf8");
    const installed = readFileSync(new URL(`node_modules/${original}`, ROOT), "utf8");
    expect(vendored === installed).toBe(true);
  });
});
