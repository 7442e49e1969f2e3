/**
 * A refusal decided while the body is still arriving must reach the client as its JSON error
 * (issue #29, finding 8). A 60,000-field multipart body to /v1/batches used to end in a 500
 * with a plain-text stack trace from `wrangler dev`'s proxy ("Network connection lost"): the
 * Worker answered too_many_items and stopped reading while the client was still sending.
 * Only the whole local system shows it (the proxy is wrangler dev's), so this runs
 * `wrangler dev` with a plain fetch client, as a hostile client would send.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PartsSystem } from "../fixtures/system.ts";

let system: PartsSystem;
let key: string;

beforeAll(async () => {
  system = await PartsSystem.start({ gpu: false });
  key = (await system.api.newKey("early-refusals")).key;
}, 180_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

const boundary = "----fcn-early-refusal";
const headers = () => ({
  authorization: `Bearer ${key}`,
  "content-type": `multipart/form-data; boundary=${boundary}`,
});

describe("refusals decided mid-body reach the client as JSON", () => {
  it("a 60,000-field multipart body to /v1/batches gets 400 too_many_items", async () => {
    let body = "";
    for (let i = 0; i < 60_000; i++)
      body += `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nvalue${i}\r\n`;
    body += `--${boundary}--\r\n`;
    const r = await fetch(`${system.api.base}/v1/batches`, { method: "POST", headers: headers(), body });
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect([r.status, await r.json()]).toEqual([
      400,
      { error: { code: "too_many_items", message: "a batch holds at most 100 images" } },
    ]);
  });

  it("a chunked body past the batch limit (no Content-Length) gets 413 payload_too_large", async () => {
    const mib = new Uint8Array(1024 * 1024).fill(65);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(mib);
        controller.close();
      },
    });
    const r = await fetch(`${system.api.base}/v1/batches`, {
      method: "POST",
      headers: headers(),
      body,
      duplex: "half",
    } as RequestInit);
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([
      413,
      "payload_too_large",
    ]);
  });
});
