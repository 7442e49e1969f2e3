/** Output uploads against the edge stub: one PUT when an output fits a part, else in parts. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EdgeClient } from "./edge-client.ts";
import { EdgeStub } from "./test/edge-stub.ts";

let edge: EdgeStub;
beforeEach(async () => {
  edge = await new EdgeStub().start();
  edge.addJob("job_up", new Uint8Array([1]));
});
afterEach(() => edge.stop());

const client = (partBytes: number) =>
  new EdgeClient({ callbackSecret: edge.secret, timeoutMs: 5000, maxInputBytes: 1024, partBytes });
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

describe("EdgeClient.putOutput", () => {
  it("sends an output that fits one part in one PUT", async () => {
    const url = edge.message("job_up", { outputs: ["probabilities"] }).outputs.probabilities!.url;
    await client(16).putOutput(url, "application/x-test", bytes(16));
    expect(edge.uploads.size).toBe(0);
    expect(edge.putsFor("job_up", "probabilities").map((p) => p.body)).toEqual([bytes(16)]);
  });

  it("sends a larger output as a multipart upload of equal parts and a shorter last one", async () => {
    const url = edge.message("job_up", { outputs: ["probabilities"] }).outputs.probabilities!.url;
    await client(16).putOutput(url, "application/x-test", bytes(40));
    const [upload] = edge.uploads.values();
    expect([...upload.parts.values()].map((p) => p.byteLength)).toEqual([16, 16, 8]);
    expect(upload).toMatchObject({ done: true, contentType: "application/x-test", name: "probabilities" });
    expect(edge.putsFor("job_up", "probabilities").map((p) => p.body)).toEqual([bytes(40)]);
  });

  it("aborts the upload when a part fails, and reports the failure as transient", async () => {
    const url = edge.message("job_up", { outputs: ["probabilities"] }).outputs.probabilities!.url;
    edge.failPart = 2;
    await expect(client(16).putOutput(url, "application/x-test", bytes(40))).rejects.toMatchObject({
      kind: "transient",
      request: "output",
      status: 503,
    });
    expect(edge.uploads.size).toBe(0);
    expect(edge.putsFor("job_up")).toEqual([]);
  });
});
