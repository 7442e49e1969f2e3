import { describe, expect, it } from "vitest";
import { parseJobOptions } from "./options.ts";
import { canTransition, isFinal } from "./state.ts";

describe("job state machine", () => {
  it("allows only forward transitions (and the sweep's running -> queued)", () => {
    expect(canTransition("queued", "running")).toBe(true);
    expect(canTransition("running", "succeeded")).toBe(true);
    expect(canTransition("running", "queued")).toBe(true);
    expect(canTransition("running", "canceled")).toBe(false);
    expect(canTransition("succeeded", "running")).toBe(false);
    expect(["succeeded", "failed", "canceled"].every((s) => isFinal(s as "failed"))).toBe(true);
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
