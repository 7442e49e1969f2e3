/**
 * POST /v1/jobs with a JSON body naming the image by URL (issue #17). The images come from a
 * real HTTP server on loopback (worker/test/global-setup.ts), which development's URL policy
 * accepts; the production policy is exercised by calling the Worker with production settings.
 * The one case that needs a public https origin answering a redirect spies on fetch.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { fetchImageUrl } from "../images/fetch-url.ts";
import worker from "../index.ts";
import { BASE, call, drainQueue, type JobJson, newKey, pathOf, submit } from "../test/helpers.ts";

const server = inject("imageServer");
let key: string;

beforeAll(async () => {
  key = (await newKey("image-url")).key;
  await drainQueue();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const postJson = (body: unknown, headers: Record<string, string> = {}, bindings: Env = env) =>
  worker.fetch(
    new Request(`${BASE}/v1/jobs`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    }),
    bindings,
    createExecutionContext(),
  );

const production = { ...env, ENVIRONMENT: "production", PUBLIC_BASE_URL: "https://edge.test" };
const errorOf = async (r: Response) =>
  ((await r.json()) as { error: { code: string; message: string } }).error;
const countJobs = async () =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>())?.n ?? 0;

describe("POST /v1/jobs with image_url", () => {
  it("fetches the image and stores and queues it like an upload", async () => {
    const r = await postJson({ image_url: `${server}/png64x48`, outputs: ["mask", "rle"], deadline_s: 600 });
    expect(r.status).toBe(202);
    const job = (await r.json()) as JobJson & { outputs: string[]; input: Record<string, unknown> };
    expect(job).toMatchObject({
      status: "queued",
      outputs: ["mask", "rle"],
      input: { content_type: "image/png", width: 64, height: 48 },
    });
    const stored = await env.BUCKET.get(`inputs/${job.id}`);
    const upload = await submit(key, new Uint8Array(await stored!.arrayBuffer()));
    expect(upload.status).toBe(202); // the stored bytes are a valid upload themselves
    const message = (await drainQueue()).find((m) => m.job_id === job.id);
    expect(message?.input).toMatchObject({ content_type: "image/png", bytes: stored!.size });
    // The GPU tier reads it through its signed link, as it reads an upload.
    const input = await call(pathOf(message!.input.url));
    expect(input.status).toBe(200);
    expect((await input.arrayBuffer()).byteLength).toBe(stored!.size);
  });

  it("follows a redirect, and is idempotent over the URL form (same id, no second fetch or job)", async () => {
    const body = { image_url: `${server}/redirect?to=${encodeURIComponent(`${server}/png64x48`)}` };
    const headers = { "idempotency-key": "url-idem-1" };
    const first = await postJson(body, headers);
    expect(first.status).toBe(202);
    const before = await countJobs();
    const again = await postJson(body, headers);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as JobJson).id).toBe(((await first.json()) as JobJson).id);
    expect(await countJobs()).toBe(before);
    const other = await postJson({ image_url: `${server}/png64x48` }, headers);
    expect(other.status).toBe(409);
    await drainQueue();
  });

  it("refuses private, link-local and loopback targets in production with 400 unsafe_image_url", async () => {
    const before = await countJobs();
    for (const url of [
      "https://10.0.0.1/a.png",
      "https://169.254.169.254/latest/meta-data",
      `${server}/png64x48`,
    ]) {
      const r = await postJson({ image_url: url }, {}, production);
      expect(r.status, url).toBe(400);
      expect((await errorOf(r)).code, url).toBe("unsafe_image_url");
    }
    // development accepts loopback, and nothing else that is private
    const dev = await postJson({ image_url: "http://10.0.0.1/a.png" });
    expect(dev.status).toBe(400);
    expect((await errorOf(dev)).code).toBe("unsafe_image_url");
    expect(await countJobs()).toBe(before);
  });

  it("in development too, refuses a redirect from the loopback server to a private address", async () => {
    const to = encodeURIComponent("http://169.254.169.254/latest/meta-data");
    const r = await postJson({ image_url: `${server}/redirect?to=${to}` });
    expect(r.status).toBe(400);
    expect(await errorOf(r)).toEqual({
      code: "unsafe_image_url",
      message: "redirect: image_url must use https",
    });
  });

  it("gives up on a server that does not answer in time", async () => {
    const error = await fetchImageUrl(`${server}/hang`, { development: true }, 1024, 300).catch((e) => e);
    expect(error).toMatchObject({ status: 422, code: "image_url_unreachable" });
    expect(error.message).toBe("image_url did not answer within 0.3 s");
  });

  it("in production refuses a redirect to loopback without requesting it", async () => {
    const calls: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = String(input instanceof Request ? input.url : input);
      calls.push(url);
      if (url.includes("dns-query"))
        return Response.json({
          Status: 0,
          Answer:
            url.includes("type=A&") || url.endsWith("type=A") ? [{ type: 1, data: "93.184.216.34" }] : [],
        });
      if (url === "https://images.example.com/a.png")
        return new Response(null, { status: 302, headers: { location: "http://127.0.0.1:1/a.png" } });
      return new Response("unexpected", { status: 500 });
    });
    const r = await postJson({ image_url: "https://images.example.com/a.png" }, {}, production);
    expect(r.status).toBe(400);
    const error = await errorOf(r);
    expect(error.code).toBe("unsafe_image_url");
    expect(error.message).toMatch(/redirect/);
    expect(calls.some((u) => u.includes("127.0.0.1"))).toBe(false);
  });

  it("answers 422 image_url_unreachable for a non-2xx answer or a closed port, saying what happened", async () => {
    const notFound = await postJson({ image_url: `${server}/status/404` });
    expect(notFound.status).toBe(422);
    expect(await errorOf(notFound)).toEqual({
      code: "image_url_unreachable",
      message: "image_url answered 404",
    });
    const closed = await postJson({ image_url: "http://127.0.0.1:1/a.png" });
    expect(closed.status).toBe(422);
    expect((await errorOf(closed)).message).toMatch(/could not be fetched/);
  });

  it("answers 413 for an image over the limit, declared or streamed, storing nothing", async () => {
    const before = await countJobs();
    for (const path of ["/declared-huge", "/endless-huge"]) {
      const r = await postJson({ image_url: `${server}${path}` });
      expect(r.status, path).toBe(413);
      expect((await errorOf(r)).code).toBe("payload_too_large");
    }
    expect(await countJobs()).toBe(before);
  });

  it("checks the fetched bytes like an upload, and the options like the form's", async () => {
    const text = await postJson({ image_url: `${server}/status/200` });
    expect(text.status).toBe(415);
    const unknown = await postJson({ image_url: `${server}/png64x48`, colour: "red" });
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).message).toBe('unknown field "colour"');
    const missing = await postJson({ outputs: ["mask"] });
    expect(missing.status).toBe(400);
  });
});

describe("POST /v1/jobs body types", () => {
  it("refuses a body that is neither multipart nor JSON", async () => {
    const r = await call("/v1/jobs", {
      method: "POST",
      body: "x",
      headers: { authorization: `Bearer ${key}`, "content-type": "text/plain" },
    });
    expect(r.status).toBe(415);
  });
});
