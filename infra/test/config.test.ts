import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertImageSourceExists, configFromContext, stackIdFor } from "../lib/config.ts";
import { cdkJsonContext, INFRA_DIR, REPO_ROOT, STUB_IMAGE_CONTEXT } from "./helpers.ts";

const read = (context: Record<string, unknown>) => configFromContext((key) => context[key], INFRA_DIR);

describe("given the context defaults in cdk.json", () => {
  const config = read(cdkJsonContext());

  it("when read, then it is a dev stack of g5.xlarge instances, at most 2, in the CLI's region", () => {
    expect(config).toMatchObject({
      environment: "dev",
      instanceType: "g5.xlarge",
      maxInstances: 2,
      backlogPerTask: 50,
      region: undefined,
      alarmEmail: undefined,
    });
    expect(stackIdFor(config.environment)).toBe("FcnGpuServiceDev");
  });

  it("when read, then the image is built from gpu-service/Dockerfile with the repository root as context", () => {
    expect(join(config.imageBuildContext, "/")).toBe(join(REPO_ROOT, "/"));
    expect(config.imageDockerfile).toBe("gpu-service/Dockerfile");
  });
});

describe("given -c overrides as the CLI passes them (strings)", () => {
  it("when read, then numbers are parsed and prod gets its own stack id", () => {
    const config = read({
      environment: "prod",
      instanceType: "g6.xlarge",
      maxInstances: "4",
      backlogPerTask: "20",
      region: "eu-west-1",
      alarmEmail: "ops@example.com",
    });
    expect(config).toMatchObject({
      environment: "prod",
      instanceType: "g6.xlarge",
      maxInstances: 4,
      backlogPerTask: 20,
      region: "eu-west-1",
      alarmEmail: "ops@example.com",
    });
    expect(stackIdFor(config.environment)).toBe("FcnGpuServiceProd");
  });

  it.each([
    [{ environment: "staging" }, /"environment" must be "dev" or "prod"/],
    [{ instanceType: "t3.large" }, /must be a GPU instance type/],
    [{ maxInstances: "0" }, /"maxInstances" must be an integer from 1 to 20/],
    [{ maxInstances: "21" }, /"maxInstances" must be an integer from 1 to 20/],
    [{ maxInstances: "two" }, /"maxInstances" must be an integer/],
    [{ alarmEmail: "not-an-address" }, /not an e-mail address/],
    [{ region: "Frankfurt" }, /not an AWS region/],
    [{ edgeOrigin: "http://fcn.example.com" }, /"edgeOrigin" must be an https origin/],
    [{ edgeOrigin: "https://fcn.example.com/api" }, /"edgeOrigin" must be an https origin/],
  ])("when %j is read, then it is refused naming the key", (context, message) => {
    expect(() => read(context)).toThrow(message);
  });
});

describe("given a Dockerfile path", () => {
  it("when the file exists, then the image source is accepted", () => {
    expect(() => assertImageSourceExists(read(STUB_IMAGE_CONTEXT))).not.toThrow();
  });

  it("when the file is missing, then the error says which context key to set", () => {
    const config = read({ ...STUB_IMAGE_CONTEXT, gpuServiceDockerfile: "missing/Dockerfile" });
    expect(() => assertImageSourceExists(config)).toThrow(/-c gpuServiceDockerfile=/);
  });
});
