import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * One `vitest run`, three projects: worker code runs inside workerd (the real runtime, with
 * the real model and local bindings); everything else runs in Node, where the suites that
 * need the whole running system (`system`) share one, started once per run.
 */
/** Bindings the workerd tests run with: test secrets and the test SQS queue (global setup). */
export const TEST_SQS_PORT = Number(process.env.FCN_TEST_SQS_PORT ?? 9335);
const workerTestBindings = {
  // wrangler.toml defaults to production; tests that need it set it per call.
  ENVIRONMENT: "development",
  PUBLIC_BASE_URL: "http://edge.test",
  TEST_MIGRATIONS: await readD1Migrations("worker/db/migrations"),
  URL_SIGNING_SECRET: "test-url-signing-secret",
  CALLBACK_SECRET: "whsec_dGVzdC1jYWxsYmFjay1zZWNyZXQ=",
  ADMIN_TOKEN: "test-admin-token",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  SQS_QUEUE_URL: `http://127.0.0.1:${TEST_SQS_PORT}/000000000000/fcn-jobs-test`,
  WEBHOOK_RETRY_BASE_SECONDS: "1",
  // many files send previews from one address; worker/preview/limit.test.ts turns the limit on
  PREVIEW_RATE_LIMIT: "off",
};

/**
 * Suites that share one running system (test/fixtures/shared-system-setup.ts). The suites
 * that kill parts of the system (faults, local-system) start their own, in the node project.
 */
const SHARED_SYSTEM_SUITES = [
  "test/e2e/**/*.test.ts",
  "test/browser/**/*.test.ts",
  "test/reliability/corpus.test.ts",
  "test/reliability/large-outputs.test.ts",
];

export default defineConfig({
  test: {
    // Three files at a time, where vitest's default on this 2-core machine is one: most suites
    // wait on processes (wrangler dev, the GPU service, webhook retries), not on the CPU. The
    // workerd files and the suites on the shared system run one at a time (below); vitest runs
    // such groups one after another, after the parallel node files.
    maxWorkers: 3,
    // one scratch folder per run for results several suites share (the CamVid val masks)
    globalSetup: ["test/fixtures/run-scratch-setup.ts"],
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // UNMIGRATED_DB: a D1 no migration touched (worker/errors/index.test.ts).
            miniflare: { bindings: workerTestBindings, d1Databases: { UNMIGRATED_DB: "fcn-unmigrated" } },
          }),
        ],
        test: {
          name: "worker",
          include: ["worker/**/*.test.ts"],
          // One workerd for every file, in turn: a fresh one per file cost about 8 s each (the
          // bundle with three wasm decoders and the model). Files share its D1 and R2, so each
          // judges only what it wrote; one at a time because each drains the shared test SQS queue.
          fileParallelism: false,
          isolate: false,
          sequence: { groupOrder: 1 },
          globalSetup: ["worker/test/global-setup.ts"],
          setupFiles: ["worker/test/apply-migrations.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: [
            "models/runtime/**/*.test.ts",
            "protocol/**/*.test.ts",
            "cli/**/*.test.ts",
            "gpu-service/**/*.test.ts",
            "infra/test/**/*.test.ts",
            "test/**/*.test.ts",
            "scripts/*.test.ts",
          ],
          exclude: ["test/soak/**", "**/node_modules/**", ...SHARED_SYSTEM_SUITES],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "system",
          environment: "node",
          include: SHARED_SYSTEM_SUITES,
          globalSetup: ["test/fixtures/shared-system-setup.ts"],
          // one after another on the one system: timings and rate limits stay each suite's own
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 200_000,
        },
      },
    ],
  },
});
