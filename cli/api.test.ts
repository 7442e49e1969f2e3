/**
 * The CLI's API commands through the generated client, against a stand-in server that records
 * what arrives: the requests keep their shape (bearer tokens, JSON, raw image bytes, multipart
 * with the Idempotency-Key header) and the API's error body becomes the command's error.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiFailure } from "./api.ts";
import { jobs } from "./commands/jobs.ts";
import { keys } from "./commands/keys.ts";
import { preview } from "./commands/preview.ts";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

const seen: Seen[] = [];
let answer: { status: number; type: string; body: string | Buffer } = { status: 200, type: "", body: "" };
let server: Server;
let api: string;
const dir = mkdtempSync(join(tmpdir(), "fcn-cli-"));
const image = join(dir, "in.png");
writeFileSync(image, Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  api = `http://127.0.0.1:${address.port}`;
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterAll(() => {
  server.close();
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const json = (status: number, body: unknown) => {
  answer = { status, type: "application/json", body: JSON.stringify(body) };
};

describe("the CLI's API client", () => {
  it("creates, lists and revokes keys with the admin token", async () => {
    json(201, { id: "key_1", name: "me", key: "fcn_x", webhook_secret: "whsec_x", created_at: "t" });
    expect(await keys.run(["create", "--name", "me", "--api", api, "--admin-token", "adm"])).toBe(0);
    json(200, { object: "list", data: [] });
    expect(await keys.run(["list", "--api", api, "--admin-token", "adm"])).toBe(0);
    json(200, { id: "key_1", revoked: true });
    expect(await keys.run(["revoke", "key_1", "--api", api, "--admin-token", "adm"])).toBe(0);
    const [create, list, revoke] = seen.splice(0);
    expect([create.method, create.url, create.headers.authorization]).toEqual([
      "POST",
      "/v1/admin/keys",
      "Bearer adm",
    ]);
    expect(create.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(create.body.toString())).toEqual({ name: "me" });
    expect([list.method, list.url]).toEqual(["GET", "/v1/admin/keys"]);
    expect([revoke.method, revoke.url]).toEqual(["DELETE", "/v1/admin/keys/key_1"]);
  });

  it("sends the preview image as its raw body", async () => {
    answer = { status: 200, type: "image/png", body: Buffer.from([1, 2, 3]) };
    const out = join(dir, "mask.png");
    expect(await preview.run([image, "--out", out, "--api", api])).toBe(0);
    expect([...readFileSync(out)]).toEqual([1, 2, 3]);
    json(200, { model: "m" });
    expect(await preview.run([image, "--json", "--api", api])).toBe(0);
    const [png, summary] = seen.splice(0);
    expect([png.method, png.url, png.headers["content-type"]]).toEqual(["POST", "/v1/preview", "image/png"]);
    expect(png.body.equals(readFileSync(image))).toBe(true);
    expect(summary.url).toBe("/v1/preview?format=json");
  });

  it("submits a job as multipart with its Idempotency-Key, and reports the API's error code", async () => {
    json(202, { id: "job_1", status: "queued" });
    const submit = [
      image,
      ...["--mode", "learned", "--idempotency-key", "k1", "--deadline", "300", "--wait-seconds", "20"],
      ...["--api", api, "--key", "fcn_k"],
    ];
    expect(await jobs.run(["submit", ...submit])).toBe(0);
    const [sent] = seen.splice(0);
    expect([sent.method, sent.url, sent.headers.authorization]).toEqual(["POST", "/v1/jobs", "Bearer fcn_k"]);
    expect(sent.headers["idempotency-key"]).toBe("k1");
    expect([sent.headers["cancel-after"], sent.headers.prefer]).toEqual(["300", "wait=20"]);
    expect(sent.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent.body.toString("latin1")).toContain('name="image"; filename="in.png"');
    expect(sent.body.toString("latin1")).toContain('name="mode"\r\n\r\nlearned');

    json(409, { error: { code: "idempotency_conflict", message: "used" } });
    const failure = await jobs.run(["submit", ...submit]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiFailure);
    expect(failure).toMatchObject({ status: 409, code: "idempotency_conflict" });
    seen.splice(0);
  });

  it("watch follows the job's event stream with the API key, one line per event with --json (issue #17)", async () => {
    const at = (status: string, progress: unknown) =>
      JSON.stringify({ id: "job_3", status, progress, outputs: [] });
    answer = {
      status: 200,
      type: "text/event-stream",
      body: [
        `event: status\ndata: ${at("running", null)}\n\n`,
        ": keep-alive\n\n",
        `event: progress\ndata: ${at("running", { stage: "inferring", fraction: 0.5 })}\n\n`,
        `event: status\ndata: ${at("succeeded", { stage: "uploading", fraction: 1 })}\n\n`,
      ].join(""),
    };
    const log = vi.mocked(console.log);
    log.mockClear();
    expect(await jobs.run(["watch", "job_3", "--json", "--api", api, "--key", "fcn_k"])).toBe(0);
    const [sent] = seen.splice(0);
    expect([sent.method, sent.url, sent.headers.authorization]).toEqual([
      "GET",
      "/v1/jobs/job_3/events",
      "Bearer fcn_k",
    ]);
    const lines = log.mock.calls.map(
      ([line]) => JSON.parse(String(line)) as { event: string; data: { status: string } },
    );
    expect(lines.map((l) => [l.event, l.data.status])).toEqual([
      ["status", "running"],
      ["progress", "running"],
      ["status", "succeeded"],
    ]);
    // the API's error answer becomes the command's error, as for every command
    json(404, { error: { code: "not_found", message: "no job job_x" } });
    const failure = await jobs
      .run(["watch", "job_x", "--api", api, "--key", "fcn_k"])
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ status: 404, code: "not_found" });
    seen.splice(0);
  });

  it("wait --out-dir downloads every output of a succeeded job through its links", async () => {
    const links = {
      mask_url: `${api}/o/mask?sig=1`,
      rle_url: `${api}/o/rle?sig=1`,
      overlay_url: `${api}/o/overlay?sig=1`,
    };
    json(200, { id: "job_2", status: "succeeded", outputs: ["mask", "rle", "overlay"], result: links });
    expect(await jobs.run(["wait", "job_2", "--out-dir", dir, "--api", api, "--key", "fcn_k"])).toBe(0);
    expect(seen.splice(0).map((s) => s.url)).toEqual([
      "/v1/jobs/job_2",
      "/o/mask?sig=1",
      "/o/rle?sig=1",
      "/o/overlay?sig=1",
    ]);
    for (const file of ["job_2.mask.png", "job_2.rle.json", "job_2.overlay.jpg"]) {
      expect(readFileSync(join(dir, file), "utf8"), file).toBe(answer.body); // the stub answers alike
    }
  });

  it("lists a job's webhook deliveries and asks for one again", async () => {
    json(200, { object: "list", data: [] });
    expect(await jobs.run(["deliveries", "job_3", "--api", api, "--key", "fcn_k"])).toBe(0);
    json(202, { object: "webhook_redelivery", status: "queued", webhook_id: "msg_job_3_succeeded" });
    expect(await jobs.run(["redeliver", "job_3", "7", "--api", api, "--key", "fcn_k"])).toBe(0);
    const [list, redeliver] = seen.splice(0);
    expect([list.method, list.url, list.headers.authorization]).toEqual([
      "GET",
      "/v1/jobs/job_3/deliveries",
      "Bearer fcn_k",
    ]);
    expect([redeliver.method, redeliver.url]).toEqual(["POST", "/v1/jobs/job_3/deliveries/7/redeliver"]);
  });

  it("submits a directory as one batch (image repeated, in name order) and polls it until completed", async () => {
    const images = mkdtempSync(join(tmpdir(), "fcn-cli-batch-"));
    for (const name of ["b.png", "a.jpg", "notes.txt"])
      writeFileSync(join(images, name), Buffer.from([1, 2]));
    const counts = { queued: 0, running: 0, succeeded: 2, failed: 0, canceled: 0 };
    const items = [
      { index: 0, job_id: "job_a", status: "succeeded", result: null },
      { index: 1, job_id: "job_b", status: "succeeded", result: null },
    ];
    json(202, { id: "batch_1", status: "completed", size: 2, counts, items });
    try {
      expect(
        await jobs.run(["submit", images, "--outputs", "mask,rle", "--api", api, "--key", "fcn_k"]),
      ).toBe(0);
    } finally {
      rmSync(images, { recursive: true, force: true });
    }
    const [sent] = seen.splice(0);
    expect([sent.method, sent.url]).toEqual(["POST", "/v1/batches"]);
    const body = sent.body.toString("latin1");
    expect(body.indexOf('filename="a.jpg"')).toBeLessThan(body.indexOf('filename="b.png"'));
    expect(body).not.toContain("notes.txt");
    expect(body).toContain('name="outputs"\r\n\r\nmask,rle');
  });
});
