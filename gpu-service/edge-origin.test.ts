/**
 * The GPU tier talks to the edge's origin only: it follows no redirect, refuses URLs off the
 * configured EDGE_ORIGIN, and refuses job messages whose URLs span origins. Issue #15
 * finding 2: the GPU service followed a 302 to another local endpoint and posted a signed
 * callback there.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB_MESSAGE_VERSION, type JobMessage, parseJobMessage } from "../protocol/jobs.ts";
import { loadConfig } from "./config.ts";
import { EdgeClient, EdgeError } from "./edge-client.ts";

let edge: Server;
let elsewhere: Server;
let edgeOrigin: string;
let elsewhereOrigin: string;
const elsewhereHits: string[] = [];

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

beforeAll(async () => {
  elsewhere = createServer((req, res) => {
    elsewhereHits.push(`${req.method} ${req.url}`);
    res.end("stolen");
  });
  elsewhereOrigin = await listen(elsewhere);
  edge = createServer((req, res) => {
    if (req.url?.startsWith("/redirect")) {
      res.writeHead(302, { location: `${elsewhereOrigin}/internal/jobs/job_x/callback` });
      res.end();
      return;
    }
    res.end("input");
  });
  edgeOrigin = await listen(edge);
});

afterAll(() => {
  edge.close();
  elsewhere.close();
});

const client = (origin?: string) =>
  new EdgeClient({
    callbackSecret: "whsec_c2VjcmV0",
    timeoutMs: 5000,
    maxInputBytes: 1 << 20,
    edgeOrigin: origin,
  });

async function edgeError(promise: Promise<unknown>): Promise<EdgeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EdgeError) return error;
    throw error;
  }
  throw new Error("expected an EdgeError");
}

describe("the GPU tier's requests to the edge", () => {
  it("follows no redirect: a 3xx is a permanent failure and the target is never contacted", async () => {
    for (const attempt of [
      () => client().getInput(`${edgeOrigin}/redirect/input`),
      () =>
        client().postCallback(`${edgeOrigin}/redirect/callback`, {
          job_id: "job_x",
          status: "running",
          attempt: 1,
        }),
      () => client().putOutput(`${edgeOrigin}/redirect/output`, "image/png", new Uint8Array([1])),
    ]) {
      const error = await edgeError(attempt());
      expect(error.kind).toBe("permanent");
      expect(error.status).toBe(302);
      expect(error.message).toContain("redirect");
    }
    expect(elsewhereHits).toEqual([]);
  });

  it("with EDGE_ORIGIN set, refuses a URL on any other origin before connecting", async () => {
    expect(await client(edgeOrigin).getInput(`${edgeOrigin}/input`)).toEqual(
      new TextEncoder().encode("input"),
    );
    const error = await edgeError(client(edgeOrigin).getInput(`${elsewhereOrigin}/input`));
    expect(error.kind).toBe("permanent");
    expect(error.message).toContain("is not on the edge's origin");
    expect(elsewhereHits).toEqual([]);
  });

  it("EDGE_ORIGIN is optional and must be an origin", () => {
    const required = {
      QUEUE_URL: "http://127.0.0.1:9324/000000000000/fcn-jobs",
      CALLBACK_SECRET: "whsec_c2VjcmV0",
    };
    expect(loadConfig(required).edgeOrigin).toBeUndefined();
    expect(loadConfig({ ...required, EDGE_ORIGIN: "https://fcn.example.com/" }).edgeOrigin).toBe(
      "https://fcn.example.com",
    );
    expect(() => loadConfig({ ...required, EDGE_ORIGIN: "https://fcn.example.com/api" })).toThrow(
      /EDGE_ORIGIN/,
    );
  });

  it("refuses a job message whose URLs are not all on one http(s) origin", () => {
    const message = (callback: string): JobMessage => ({
      version: JOB_MESSAGE_VERSION,
      job_id: "job_x",
      mode: "learned",
      input: {
        url: "https://edge.example/internal/jobs/job_x/input?sig=1",
        content_type: "image/png",
        bytes: 1,
      },
      outputs: {
        mask: {
          url: "https://edge.example/internal/jobs/job_x/outputs/mask?sig=1",
          content_type: "image/png",
        },
      },
      callback: { url: callback },
      created_at: new Date().toISOString(),
      expires_at: new Date().toISOString(),
    });
    expect(parseJobMessage(message("https://edge.example/internal/jobs/job_x/callback")).job_id).toBe(
      "job_x",
    );
    for (const callback of [
      "http://127.0.0.1:9602/internal/jobs/job_x/callback",
      "file:///etc/passwd",
      "nope",
    ])
      expect(() => parseJobMessage(message(callback)), callback).toThrow(/one origin/);
  });
});
