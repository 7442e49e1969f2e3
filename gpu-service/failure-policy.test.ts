import { describe, expect, it } from "vitest";
import { InputError } from "../models/runtime/errors.ts";
import { EdgeError } from "./edge-client.ts";
import { decideFailure, permanentFailure, reportFate, retryDelaySeconds } from "./failure-policy.ts";

describe("the failure policy", () => {
  it("deletes a job the edge says is done, whatever the attempt", () => {
    expect(decideFailure(new EdgeError("done", "output", "409"), 1, 3)).toEqual({ action: "delete" });
  });

  it("reports a client's error (bad image, 4xx from the edge) and never retries it", () => {
    const bad = new InputError("unreadable_image", "not an image");
    expect(decideFailure(bad, 1, 3)).toEqual({
      action: "report",
      report: { code: "unreadable_image", message: "not an image" },
      errorKind: "unreadable_image",
    });
    expect(permanentFailure(new EdgeError("permanent", "input", "404", 404))?.code).toBe("input_unavailable");
    expect(permanentFailure(new EdgeError("permanent", "output", "413", 413))?.code).toBe("output_rejected");
    expect(permanentFailure(new EdgeError("permanent", "callback", "400", 400))?.code).toBe(
      "callback_rejected",
    );
  });

  it("retries a transient error, and reports it on the last attempt before the DLQ", () => {
    expect(decideFailure(new EdgeError("transient", "input", "503", 503), 1, 3)).toEqual({
      action: "retry",
      errorKind: "edge",
    });
    expect(decideFailure(new Error("onnxruntime"), 3, 3)).toEqual({
      action: "retry",
      errorKind: "internal",
      report: { code: "internal_error", message: "the job failed on every attempt" },
    });
  });

  it("backs off doubling per attempt, capped at the visibility timeout", () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelaySeconds(a, 5, 60))).toEqual([5, 10, 20, 40, 60]);
    expect(retryDelaySeconds(1, 0, 60)).toBe(0);
  });

  it("judges a failed callback: taken, job gone, or worth another try (signature or clock trouble too)", () => {
    expect(reportFate(undefined)).toBe("reported");
    expect(reportFate(new EdgeError("done", "callback", "409", 409))).toBe("reported");
    expect(reportFate(new EdgeError("permanent", "callback", "404", 404))).toBe("gone");
    expect(reportFate(new EdgeError("permanent", "callback", "401", 401))).toBe("transient");
    expect(reportFate(new EdgeError("transient", "callback", "503", 503))).toBe("transient");
    expect(reportFate(new Error("socket hang up"))).toBe("transient");
  });
});
