import { describe, expect, it } from "vitest";
import { parseJobOptions } from "./options.ts";
import { isFinal } from "./state.ts";

describe("job states", () => {
  it("succeeded, failed and canceled are final; queued and running are not", () => {
    expect(["succeeded", "failed", "canceled"].every((s) => isFinal(s as "failed"))).toBe(true);
    expect(isFinal("queued") || isFinal("running")).toBe(false);
  });
});

describe("job options", () => {
  it("defaults and normalises", () => {
    expect(parseJobOptions({})).toEqual({
      mode: "learned",
      quality: "standard",
      outputs: ["mask"],
      webhookUrl: null,
      webhookEvents: ["job.succeeded", "job.failed"],
    });
    expect(parseJobOptions({ outputs: '["probabilities"]', webhook_events: "job.failed" })).toMatchObject({
      outputs: ["mask", "probabilities"],
      webhookEvents: ["job.failed"],
    });
  });
});
