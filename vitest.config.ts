import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * One `vitest run`, two projects: worker code runs inside workerd (the real runtime, with
 * the real model and local bindings); everything else runs in Node.
 */
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: {
          name: "worker",
          include: ["worker/**/*.test.ts"],
          globalSetup: ["worker/test/global-setup.ts"],
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
            "cli/**/*.test.ts",
            "gpu-service/**/*.test.ts",
            "infra/test/**/*.test.ts",
            "test/**/*.test.ts",
          ],
          exclude: ["test/soak/**", "**/node_modules/**"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
