/**
 * The CDK app of the GPU tier: `npx cdk synth|deploy|destroy` in infra/ runs this file (with
 * the project's Node 24, which runs TypeScript directly). Settings come from context: cdk.json
 * defaults, overridden with `-c key=value` (see infra/README.md).
 */
import { fileURLToPath } from "node:url";
import { App, Tags, Validations } from "aws-cdk-lib";
import cdkNag from "cdk-nag";
import { assertImageSourceExists, configFromContext, type GpuTierConfig, stackIdFor } from "../lib/config.ts";
import { GpuServiceStack } from "../lib/gpu-service-stack.ts";

// cdk-nag is CommonJS; Node's ESM loader does not see its exports by name.
const { AwsSolutionsChecks } = cdkNag;

const app = new App();
// cdk-nag's AWS Solutions rules run at every synth and fail it on an unacknowledged finding
// (acknowledgements, each with its reason, sit beside the resource they concern in lib/).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

let config: GpuTierConfig;
try {
  config = configFromContext(
    (key) => app.node.tryGetContext(key),
    fileURLToPath(new URL("..", import.meta.url)),
  );
  assertImageSourceExists(config);
} catch (error) {
  // A context mistake is the user's to fix: say what, without a stack trace.
  console.error(`infra: ${(error as Error).message}`);
  process.exit(1);
}

const stack = new GpuServiceStack(app, stackIdFor(config.environment), {
  config,
  // Region only: the account is whichever the deploying credentials belong to, and no synth-time
  // lookup needs credentials. Without a region the stack is environment-agnostic.
  env: config.region ? { region: config.region } : undefined,
});
Tags.of(stack).add("project", "fcn-segmentation");
Tags.of(stack).add("environment", config.environment);
