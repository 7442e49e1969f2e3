/**
 * Builds the stack the way bin/app.ts does (cdk.json's context and feature flags, then
 * overrides), but with a stub Dockerfile, so tests do not depend on gpu-service/ and do not
 * hash the whole repository for the image asset.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { configFromContext, type GpuTierConfig, stackIdFor } from "../lib/config.ts";
import { GpuServiceStack } from "../lib/gpu-service-stack.ts";

export const INFRA_DIR = fileURLToPath(new URL("..", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Context pointing the image asset at test/fixtures/gpu-service-stub/Dockerfile. */
export const STUB_IMAGE_CONTEXT = {
  gpuServiceBuildContext: "test/fixtures/gpu-service-stub",
  gpuServiceDockerfile: "Dockerfile",
};

/** The context block of infra/cdk.json: defaults and feature flags. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")).context;
}

export interface SynthesizedStack {
  app: App;
  stack: GpuServiceStack;
  config: GpuTierConfig;
  template: Template;
}

/** Synthesizes the GPU tier stack from cdk.json context plus `overrides`. */
export function synthesize(overrides: Record<string, unknown> = {}): SynthesizedStack {
  const app = new App({ context: { ...cdkJsonContext(), ...STUB_IMAGE_CONTEXT, ...overrides } });
  const config = configFromContext((key) => app.node.tryGetContext(key), INFRA_DIR);
  const stack = new GpuServiceStack(app, stackIdFor(config.environment), {
    config,
    env: config.region ? { region: config.region } : undefined,
  });
  return { app, stack, config, template: Template.fromStack(stack) };
}

/** The one resource of `type` in the template (fails the test when there are none or several). */
export function onlyResource(
  template: Template,
  type: string,
): { logicalId: string; resource: CfnResourceJson } {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  const [logicalId, resource] = found[0];
  return { logicalId, resource: resource as CfnResourceJson };
}

/** A resource as it appears in the synthesized template. */
export interface CfnResourceJson {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: template JSON is untyped by nature (absent on some resources, e.g. a bare IAM user)
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}
