/**
 * The generated bad-input corpus (test/fixtures/corpus.ts), twice:
 *   1. through the shared decoder path in Node (read-body -> decodeImage, as the Worker runs it):
 *      every case answers its documented status and code, and nothing but InputError is thrown;
 *   2. against the running system (the run's shared system, test/fixtures/system.ts): the same answers
 *      over HTTP, and after every refused case a good preview still succeeds. Accepted bad
 *      jobs end with their recorded reason and the GPU service stays healthy.
 * Plus slow (trickled and stalled) bodies beside a concurrent good request, and the abuse
 * cases the workerd tests cannot reach end to end (another key's job, tampered signed URLs,
 * forged callbacks, the per-key rate limit, webhook targets in development).
 * Observed answers go to test/artifacts/reliability/corpus.json for docs/RELIABILITY.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initNodeCodecs } from "../../models/runtime/node.ts";
import { signCallbackIndependently } from "../fixtures/callback-hmac.ts";
import { buildCorpus, type CorpusCase } from "../fixtures/corpus.ts";
import { jpeg, png } from "../fixtures/images.ts";
import {
  type ApiKey,
  ARTIFACTS,
  type JobJson,
  pngSize,
  type SharedSystem,
  sharedSystem,
  waitFor,
} from "../fixtures/system.ts";
import { classifyInNode, expected, type Outcome, quietCodecChatter } from "./classify.ts";

// The image an accepted image_url case names: served on loopback, which development allows.
const frame = await png(64, 48);
const imageServer = createServer((req, res) => {
  if (req.url === "/frame.png") res.writeHead(200, { "content-type": "image/png" }).end(frame);
  else res.writeHead(404).end();
});
await new Promise<void>((r) => imageServer.listen(0, "127.0.0.1", r));
const corpus = await buildCorpus(`http://127.0.0.1:${(imageServer.address() as AddressInfo).port}`);
const good = await png(16, 16);
const observed: Record<
  string,
  { route: string; note: string; expected: Outcome; node?: Outcome; worker?: Outcome }
> = {};
for (const c of corpus) observed[c.name] = { route: c.route, note: c.note, expected: expected(c) };

let system: SharedSystem;
let key: ApiKey;

beforeAll(async () => {
  const started = performance.now();
  quietCodecChatter();
  await initNodeCodecs();
  system = await sharedSystem();
  key = await system.api.newKey("corpus");
  console.log(`[corpus] system up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}, 180_000);

afterAll(async () => {
  imageServer.close();
  await mkdir(path.join(ARTIFACTS, "reliability"), { recursive: true });
  await writeFile(path.join(ARTIFACTS, "reliability/corpus.json"), JSON.stringify(observed, null, 2));
  if (system) await writeFile(path.join(ARTIFACTS, "reliability/corpus-system.log"), system.log());
}, 30_000);

/** A good preview answers a mask of its size. */
async function stillServes(): Promise<void> {
  const r = await system.api.preview(good);
  expect(r.status, "a good preview after a bad one").toBe(200);
  expect(pngSize(new Uint8Array(await r.arrayBuffer()))).toEqual([16, 16]);
}

/** Sends a corpus case to the running Worker and reads the answer as an Outcome. */
async function send(
  c: CorpusCase,
  auth?: string,
): Promise<{ outcome: Outcome; body: unknown; type: string | null }> {
  const headers: Record<string, string> = {};
  if (c.contentType !== null) headers["content-type"] = c.contentType;
  if (auth) headers.authorization = `Bearer ${auth}`;
  // A chunked body over the limit is answered 413 mid-upload: postChunked reads that answer
  // whatever happens to the rest of the upload.
  const r = c.chunked
    ? await system.api.postChunked(c.route, headers, c.bytes)
    : await system.api.fetch(c.route, { method: "POST", headers, body: c.bytes as Uint8Array<ArrayBuffer> });
  const type = r.headers.get("content-type");
  if (r.status === 200 && type === "image/png") {
    const size = pngSize(new Uint8Array(await r.arrayBuffer()));
    return { outcome: { status: 200, code: null, size }, body: null, type };
  }
  const body = (await r.json()) as { error?: { code: string } };
  return { outcome: { status: r.status, code: body.error?.code ?? null }, body, type };
}

describe("the corpus through the shared decoder path in Node", () => {
  for (const c of corpus) {
    it(`${c.route} ${c.name}`, async () => {
      const outcome = await classifyInNode(c);
      observed[c.name].node = outcome;
      expect(outcome).toEqual(expected(c));
    });
  }
});

describe("the corpus against the running Worker", () => {
  for (const c of corpus.filter((c) => c.route === "/v1/preview")) {
    it(`POST /v1/preview ${c.name}: ${c.expectedStatus} ${c.expectedCode ?? ""}`, async () => {
      const { outcome, body, type } = await send(c);
      observed[c.name].worker = outcome;
      if (c.expectedStatus === 200) {
        expect(type).toBe("image/png");
        expect(outcome).toEqual({ status: 200, code: null, size: c.expectedSize });
      } else {
        expect(outcome.status).toBe(c.expectedStatus);
        expect(body).toEqual({ error: { code: c.expectedCode, message: expect.any(String) } });
        await stillServes();
      }
    });
  }

  const accepted: { c: CorpusCase; job: JobJson }[] = [];
  for (const c of corpus.filter((c) => c.route === "/v1/jobs")) {
    it(`POST /v1/jobs ${c.name}: ${c.expectedStatus} ${c.expectedCode ?? ""}`, async () => {
      const r = await system.api.fetch("/v1/jobs", {
        method: "POST",
        body: c.bytes as Uint8Array<ArrayBuffer>,
        headers: { "content-type": c.contentType!, authorization: `Bearer ${key.key}` },
      });
      const body = (await r.json()) as JobJson & { error?: { code: string } };
      expect(r.status).toBe(c.expectedStatus);
      if (r.status === 202) accepted.push({ c, job: body });
      else expect(body.error?.code).toBe(c.expectedCode);
      observed[c.name].worker = { status: r.status, code: body.error?.code ?? null };
    });
  }

  it("accepted bad jobs end with their recorded reason; the GPU service stays healthy", async () => {
    expect(accepted.length).toBeGreaterThan(0);
    for (const { c, job } of accepted) {
      const final = await system.api.waitFinal(key.key, job.id, 60_000);
      const outcome: NonNullable<Outcome["job"]> =
        final.status === "succeeded"
          ? { status: "succeeded", size: [final.result!.width, final.result!.height] }
          : { status: final.status as "failed", code: final.error?.code };
      observed[c.name].worker = { status: 202, code: null, job: outcome };
      expect(outcome, c.name).toEqual(c.expectedJob);
      if (final.status === "failed") expect(final.error?.message).toBeTruthy();
    }
    const health = await fetch(`${system.gpuUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { state: string }).state).toBe("running");
    await stillServes();
  }, 120_000);
});

describe("slow bodies", () => {
  it("a trickled body completes while a concurrent good request is served at once", async () => {
    const image = await png(64, 48);
    const reloads = system.api.reloads();
    let started = performance.now();
    let pieces = 0;
    const trickle = () =>
      system.api
        .fetch("/v1/preview", {
          method: "POST",
          // the image 200 bytes at a time, one piece every 150 ms
          body: new ReadableStream({
            start(controller) {
              let at = 0;
              const timer = setInterval(() => {
                controller.enqueue(image.slice(at, at + 200));
                pieces++;
                at += 200;
                if (at >= image.length) {
                  clearInterval(timer);
                  controller.close();
                }
              }, 150);
            },
          }),
          headers: { "content-type": "image/png" },
          duplex: "half",
        } as RequestInit)
        .then(async (r) => ({
          status: r.status,
          ms: performance.now() - started,
          body: new Uint8Array(await r.arrayBuffer()),
        }));
    const slow = trickle();
    await waitFor("the slow body to be on its way", () => pieces >= 2, 10_000, 20);
    const t0 = performance.now();
    await stillServes();
    const concurrentMs = performance.now() - t0;
    let result = await slow;
    if (result.status === 503 && system.api.reloads() !== reloads) {
      // wrangler dev reloaded (a source file changed) while the body trickled: once more
      await waitFor(
        "wrangler dev to answer after its reload",
        async () => (await fetch(`${system.api.base}/v1/health`)).ok,
        60_000,
      );
      pieces = 0;
      started = performance.now();
      result = await trickle();
    }
    const trickleMs = Math.ceil(image.length / 200) * 150;
    expect(result.status).toBe(200);
    expect(pngSize(result.body)).toEqual([64, 48]);
    expect(result.ms).toBeGreaterThanOrEqual(trickleMs * 0.9);
    // the good request did not wait for the slow one
    expect(concurrentMs).toBeLessThan(trickleMs);
  }, 60_000);

  it("a stalled body (headers, then silence) does not hold up other requests; the client can abort it", async () => {
    const abort = new AbortController();
    let sent = false;
    const stalled = system.api
      .fetch("/v1/preview", {
        method: "POST",
        body: new ReadableStream({
          pull(controller) {
            if (!sent) {
              sent = true;
              controller.enqueue(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
            }
            return new Promise(() => {}); // never more
          },
        }),
        headers: { "content-type": "image/png" },
        duplex: "half",
        signal: abort.signal,
      } as RequestInit)
      .then(
        (r) => `answered ${r.status}`,
        (e: Error) => `client: ${e.name}`,
      );
    for (let i = 0; i < 3; i++) await stillServes();
    abort.abort();
    expect(await stalled).toBe("client: AbortError");
    await stillServes();
  }, 60_000);

  it("a chunked body over the limit is cut off with 413 while other requests are served", async () => {
    const big = new Uint8Array(11 * 1024 * 1024);
    big.set(await jpeg(8, 8, { progressive: false }));
    // postChunked reads the answer even though the Worker closes the connection mid-upload, so
    // the 413 and its error body are required, not merely a closed socket.
    const [over] = await Promise.all([
      system.api.postChunked("/v1/preview", { "content-type": "image/jpeg" }, big),
      stillServes(),
    ]);
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  }, 60_000);
});

describe("abuse, end to end", () => {
  let mine: JobJson;
  let other: ApiKey;

  beforeAll(async () => {
    other = await system.api.newKey("other");
    mine = await system.api.waitFinal(
      key.key,
      (await system.api.submitOk(key.key, await jpeg(64, 48))).id,
      60_000,
    );
    expect(mine.status).toBe("succeeded");
  }, 90_000);

  it("another key cannot read, list, cancel or see the deliveries of my job (404 / absent)", async () => {
    const auth = { authorization: `Bearer ${other.key}` };
    for (const [method, p] of [
      ["GET", `/v1/jobs/${mine.id}`],
      ["DELETE", `/v1/jobs/${mine.id}`],
      ["GET", `/v1/jobs/${mine.id}/deliveries`],
    ]) {
      const r = await system.api.fetch(p, { method, headers: auth });
      expect(r.status, `${method} ${p}`).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
    const list = (await (await system.api.fetch("/v1/jobs", { headers: auth })).json()) as {
      data: JobJson[];
    };
    expect(list.data.map((j) => j.id)).not.toContain(mine.id);
  });

  it("a signed result URL works as issued (and again until it expires) but not once tampered with", async () => {
    const url = new URL(mine.result!.mask_url);
    const get = (u: URL | string) => system.api.fetch(new URL(u).pathname + new URL(u).search);
    for (let i = 0; i < 2; i++) {
      const r = await get(url);
      expect(r.status).toBe(200);
      expect(pngSize(new Uint8Array(await r.arrayBuffer()))).toEqual([64, 48]);
    }
    const exp = url.searchParams.get("exp")!;
    const sig = url.searchParams.get("sig")!;
    const other = await system.api.submitOk(key.key, await jpeg(32, 32));
    const tampered: [string, string][] = [
      ["another job's id", url.pathname.replace(mine.id, other.id) + url.search],
      ["another output", `${url.pathname.replace("/mask", "/probabilities")}${url.search}`],
      ["a later expiry", `${url.pathname}?exp=${Number(exp) + 3600}&sig=${sig}`],
      [
        "a flipped signature digit",
        `${url.pathname}?exp=${exp}&sig=${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`,
      ],
      ["no signature", `${url.pathname}?exp=${exp}`],
      ["an expired signature", `${url.pathname}?exp=${Math.floor(Date.now() / 1000) - 10}&sig=${sig}`],
    ];
    for (const [what, p] of tampered) {
      const r = await system.api.fetch(p);
      expect(r.status, what).toBe(403);
      expect(["invalid_signature", "url_expired"]).toContain(
        ((await r.json()) as { error: { code: string } }).error.code,
      );
    }
  });

  it("forged and replayed callbacks are refused and change nothing", async () => {
    const target = await system.api.submitOk(key.key, await jpeg(32, 32));
    const cbPath = `/internal/jobs/${target.id}/callback`;
    const forged = JSON.stringify({
      job_id: target.id,
      status: "failed",
      attempt: 1,
      error: { code: "forged", message: "x" },
    });
    const post = (headers: Record<string, string>, body = forged) =>
      system.api.fetch(cbPath, { method: "POST", body, headers });
    // no signature, a wrong secret, a stale timestamp
    expect((await post({ "content-type": "application/json" })).status).toBe(401);
    expect((await post(signCallbackIndependently("not-the-secret", forged))).status).toBe(401);
    expect(
      (
        await post(
          signCallbackIndependently(system.api.secrets.CALLBACK_SECRET, forged, Date.now() - 3_600_000),
        )
      ).status,
    ).toBe(401);
    // a genuine signature over another body
    const genuine = signCallbackIndependently(
      system.api.secrets.CALLBACK_SECRET,
      JSON.stringify({ job_id: target.id, status: "running", attempt: 1 }),
    );
    expect((await post(genuine)).status).toBe(401);
    // a genuine callback replayed
    const body = JSON.stringify({ job_id: mine.id, status: "running", attempt: 9 });
    const headers = signCallbackIndependently(system.api.secrets.CALLBACK_SECRET, body);
    const first = await system.api.fetch(`/internal/jobs/${mine.id}/callback`, {
      method: "POST",
      body,
      headers,
    });
    expect(first.status).toBe(409); // mine already succeeded: no more work, whatever the signature
    const replay = await system.api.fetch(`/internal/jobs/${mine.id}/callback`, {
      method: "POST",
      body,
      headers,
    });
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe("replayed_callback");
    const final = await system.api.waitFinal(key.key, target.id, 60_000);
    expect(final.status).toBe("succeeded");
    expect(final.error).toBeNull();
  }, 90_000);

  it("in development a webhook_url may point anywhere (by design); production refuses private targets", async () => {
    // Production's policy is tested in worker/net/url-policy.test.ts and webhooks.test.ts.
    const r = await system.api.submit(key.key, await jpeg(16, 16), {
      webhook_url: "http://169.254.169.254/latest/meta-data/",
    });
    expect(r.status).toBe(202);
  });

  // Issue #15 finding 2, end to end: with `Host: 127.0.0.1:<trap>` the GPU service used to
  // fetch the input from the trap, follow its 302 and post the signed callback elsewhere.
  it("a forged Host header does not move the GPU tier: the job succeeds and the named host hears nothing", async () => {
    const hits: string[] = [];
    const trap = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(302, { location: `${system.api.base}/v1/health` });
      res.end();
    });
    await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
    const trapHost = `127.0.0.1:${(trap.address() as AddressInfo).port}`;
    try {
      const form = new FormData();
      form.append(
        "image",
        new Blob([(await jpeg(32, 24)) as Uint8Array<ArrayBuffer>], { type: "image/jpeg" }),
        "in",
      );
      const encoded = new Request("http://x/", { method: "POST", body: form });
      const body = Buffer.from(await encoded.arrayBuffer());
      const base = new URL(system.api.base);
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: base.hostname,
            port: base.port,
            path: "/v1/jobs",
            method: "POST",
            headers: {
              host: trapHost,
              authorization: `Bearer ${key.key}`,
              "content-type": encoded.headers.get("content-type")!,
              "content-length": body.byteLength,
            },
          },
          (res) => {
            let text = "";
            res.on("data", (d: Buffer) => {
              text += d.toString();
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
      expect(answer.status, answer.body).toBe(202);
      const job = JSON.parse(answer.body) as { id: string };
      const final = await system.api.waitFinal(key.key, job.id);
      expect(final.status).toBe("succeeded");
      expect(new URL(final.result!.mask_url).host).toBe(base.host);
      expect(hits).toEqual([]);
    } finally {
      trap.close();
    }
  }, 90_000);

  // Issue #15 finding 5, end to end: these answered 500.
  it("malformed list cursors and signed callbacks of the wrong shape answer 400 with an error body", async () => {
    for (const cursor of ["MQ==", "W10=", "%%%"]) {
      const r = await system.api.fetch(`/v1/jobs?cursor=${cursor}`, {
        headers: { authorization: `Bearer ${key.key}` },
      });
      expect([cursor, r.status]).toEqual([cursor, 400]);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    }
    const job = await system.api.submitOk(key.key, await jpeg(16, 16));
    const callback = JSON.stringify({ job_id: job.id, status: "failed", attempt: 1 });
    const r = await system.api.fetch(`/internal/jobs/${job.id}/callback`, {
      method: "POST",
      body: callback,
      headers: signCallbackIndependently(system.api.secrets.CALLBACK_SECRET, callback),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
  });

  it("rate-limits one key at 60 submissions a minute with 429 and Retry-After; other keys are unaffected", async () => {
    const limited = await system.api.newKey("limited");
    const bodyless = () =>
      system.api.fetch("/v1/jobs", {
        method: "POST",
        body: new FormData(),
        headers: { authorization: `Bearer ${limited.key}` },
      });
    let throttled: Response | undefined;
    for (let i = 0; i < 62 && !throttled; i++) {
      const r = await bodyless();
      if (r.status === 429) throttled = r;
      else await r.body?.cancel();
    }
    // A run across a minute boundary starts a fresh window: one more round then.
    for (let i = 0; i < 62 && !throttled; i++) {
      const r = await bodyless();
      if (r.status === 429) throttled = r;
      else await r.body?.cancel();
    }
    expect(throttled?.status).toBe(429);
    expect(Number(throttled!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(throttled!.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(((await throttled!.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    expect((await system.api.submit(key.key, await jpeg(16, 16))).status).toBe(202);
  }, 60_000);
});
