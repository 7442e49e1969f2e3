import { describe, expect, it } from "vitest";
import {
  JOB_MESSAGE_VERSION,
  type JobMessage,
  jobCallbackSchema,
  PROGRESS_STAGES,
  parseJobMessage,
} from "./jobs.ts";

const edge = "https://edge.example/internal/jobs/job_x";
const message = (): JobMessage => ({
  version: JOB_MESSAGE_VERSION,
  job_id: "job_x",
  mode: "learned",
  input: { url: `${edge}/input?sig=1`, content_type: "image/jpeg", bytes: 10 },
  outputs: {
    mask: { url: `${edge}/outputs/mask?sig=1`, content_type: "image/png" },
    probabilities: {
      url: `${edge}/outputs/probabilities?sig=1`,
      content_type: "application/vnd.fcn.probabilities+uint8",
    },
  },
  callback: { url: `${edge}/callback` },
  created_at: "2026-12-01T10:00:00.000Z",
  expires_at: "2026-12-01T11:00:00.000Z",
});

describe("the job message", () => {
  it("parses what the edge sends, and drops fields it does not know", () => {
    expect(parseJobMessage({ ...message(), later: true })).toEqual(message());
  });

  it("refuses a message breaking the contract, naming every problem", () => {
    const bad = {
      ...message(),
      mode: "fast",
      outputs: { mask: { url: `${edge}/outputs/mask`, content_type: "image/jpeg" } },
      created_at: "yesterday",
    };
    expect(() => parseJobMessage(bad)).toThrow(
      /^invalid job message: mode: .*; outputs\.mask\.content_type: .*; created_at: /,
    );
    const { outputs, ...noOutputs } = message();
    expect(() =>
      parseJobMessage({ ...noOutputs, outputs: { probabilities: outputs.probabilities } }),
    ).toThrow(/outputs\.mask/);
    expect(() => parseJobMessage({ ...message(), version: 2 })).toThrow(/version/);
    expect(() => parseJobMessage("{}")).toThrow(/invalid job message/);
  });
});

describe("the callback", () => {
  it("is one of running, succeeded (with its result) or failed (with its error)", () => {
    expect(jobCallbackSchema.safeParse({ job_id: "j", status: "running", attempt: 1 }).success).toBe(true);
    expect(jobCallbackSchema.safeParse({ job_id: "j", status: "succeeded", attempt: 1 }).success).toBe(false);
    expect(jobCallbackSchema.safeParse({ job_id: "j", status: "done", attempt: 1 }).success).toBe(false);
  });

  it("or progress: a known stage and the share of the whole job done, 0..1 (issue #17)", () => {
    const progress = (stage: unknown, fraction: unknown) =>
      jobCallbackSchema.safeParse({ job_id: "j", status: "progress", attempt: 1, stage, fraction }).success;
    expect(PROGRESS_STAGES.map((stage) => progress(stage, 0.5))).toEqual(PROGRESS_STAGES.map(() => true));
    expect([progress("inferring", 0), progress("inferring", 1)]).toEqual([true, true]);
    expect([progress("inferring", 1.01), progress("inferring", -0.01), progress("inferring", "0.5")]).toEqual(
      [false, false, false],
    );
    expect([progress("thinking", 0.5), progress(undefined, 0.5)]).toEqual([false, false]);
  });
});
