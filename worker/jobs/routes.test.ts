import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { SLOT_RETRY_AFTER_S } from "../auth/concurrency.ts";
import worker from "../index.ts";
import {
  call,
  drainQueue,
  fromBase64,
  type JobJson,
  jobForm,
  newKey,
  pathOf,
  postCallback,
  submit,
} from "../test/helpers.ts";
import { acceptJob, sweep } from "./service.ts";
import { MAX_WAITS_PER_KEY } from "./waiting.ts";

const images = inject("images");
const png = () => fromBase64(images.png64x48);
let key: string;
let other: string;

beforeAll(async () => {
  key = (await newKey("jobs")).key;
  other = (await newKey("other")).key;
  await drainQueue();
});

describe("auth", () => {
  it("answers 401 for a missing, wrong or revoked key, and does no work", async () => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>();
    expect((await call("/v1/jobs", { method: "POST", body: new FormData() })).status).toBe(401);
    expect((await submit("fcn_wrong", png())).status).toBe(401);
    const revoked = await newKey("revoked");
    const del = await call(`/v1/admin/keys/${revoked.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
    });
    expect(del.status).toBe(200);
    const r = await submit(revoked.key, png());
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("admin routes need the admin token", async () => {
    expect((await call("/v1/admin/keys")).status).toBe(401);
    expect((await call("/v1/admin/keys", { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    const list = await call("/v1/admin/keys", { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
    const body = (await list.json()) as { data: { key_prefix: string }[] };
    expect(body.data.length).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toContain("key_hash");
  });
});

describe("POST /v1/jobs", () => {
  it("stores the input in R2, the job in D1 (queued) and sends one SQS message", async () => {
    const r = await submit(key, png(), { outputs: "mask,probabilities" });
    expect(r.status).toBe(202);
    const job = (await r.json()) as JobJson & { outputs: string[]; input: { width: number; height: number } };
    expect(job).toMatchObject({
      status: "queued",
      outputs: ["mask", "probabilities"],
      input: { width: 64, height: 48 },
    });
    expect(await env.BUCKET.head(`inputs/${job.id}`)).not.toBeNull();
    const messages = await drainQueue();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ version: 1, job_id: job.id, mode: "learned", quality: "standard" });
    expect(Object.keys(messages[0].outputs).sort()).toEqual(["mask", "probabilities"]);
    const row = await env.DB.prepare("SELECT dispatched_at FROM jobs WHERE id = ?")
      .bind(job.id)
      .first<{ dispatched_at: string }>();
    expect(row?.dispatched_at).toBeTruthy();
  });

  it("takes outputs rle and overlay to the GPU tier and links each in the result (issue #17)", async () => {
    const r = await submit(key, png(), { outputs: "rle overlay" });
    expect(r.status).toBe(202);
    const job = (await r.json()) as JobJson & { outputs: string[] };
    expect(job.outputs).toEqual(["mask", "rle", "overlay"]);
    const [message] = await drainQueue();
    expect(message.outputs).toEqual({
      mask: { url: expect.any(String), content_type: "image/png" },
      rle: {
        url: expect.stringContaining(`/internal/jobs/${job.id}/outputs/rle?`),
        content_type: "application/json",
      },
      overlay: {
        url: expect.stringContaining(`/internal/jobs/${job.id}/outputs/overlay?`),
        content_type: "image/jpeg",
      },
    });
    const bodies = { mask: "png", rle: '{"size":[48,64],"classes":[]}', overlay: "jpeg" };
    for (const [name, target] of Object.entries(message.outputs)) {
      const put = await call(pathOf(target.url), {
        method: "PUT",
        body: bodies[name as keyof typeof bodies],
        headers: { "content-type": target.content_type },
      });
      expect(put.status, name).toBe(204);
    }
    const timings = { queue_wait: 1, download: 1, decode: 1, inference: 1, upload: 1, total: 5 };
    const result = { model: "fcn8s", width: 64, height: 48, class_fractions: [1], timings_ms: timings };
    const done = await postCallback(job.id, {
      job_id: job.id,
      status: "succeeded",
      attempt: 1,
      result: { ...result, outputs: ["mask", "rle", "overlay"], provider: "cpu" },
    });
    expect(done.status).toBe(200);
    const view = (await (
      await call(`/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as JobJson;
    expect(view.result?.probabilities_url).toBeUndefined();
    for (const [name, type] of [
      ["rle", "application/json"],
      ["overlay", "image/jpeg"],
    ] as const) {
      const link = view.result?.[`${name}_url`];
      expect(link, name).toContain(`/v1/jobs/${job.id}/outputs/${name}?`);
      const got = await call(pathOf(link!));
      expect(got.headers.get("content-type")).toBe(type);
      expect(await got.text()).toBe(bodies[name]);
    }
  });

  it("refuses an output it cannot make, naming those it can", async () => {
    const bad = await submit(key, png(), { outputs: "mask,heatmap" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
      "outputs may contain mask, probabilities, rle, overlay",
    );
  });

  it("honours every value of a repeated list field, and refuses any other repeated field or a second image (issue #29, finding 7)", async () => {
    const form = (entries: [string, string | Uint8Array][]) => {
      const f = new FormData();
      for (const [name, value] of entries)
        if (typeof value === "string") f.append(name, value);
        else f.append(name, new Blob([value as Uint8Array<ArrayBuffer>], { type: "image/png" }), "input.png");
      return f;
    };
    const post = (body: FormData) =>
      call("/v1/jobs", { method: "POST", body, headers: { authorization: `Bearer ${key}` } });
    const jobsNow = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>())?.n ?? 0;
    const both = await post(
      form([
        ["image", png()],
        ["outputs", "rle"],
        ["outputs", "overlay"],
        ["webhook_events", "job.failed"],
        ["webhook_events", "job.succeeded"],
      ]),
    );
    expect(both.status).toBe(202);
    const job = (await both.json()) as { outputs: string[] };
    expect([...job.outputs].sort()).toEqual(["mask", "overlay", "rle"]);
    expect((await drainQueue())[0].outputs).toHaveProperty("rle");
    const before = await jobsNow();
    const refused: [string, [string, string | Uint8Array][], string][] = [
      [
        "two images",
        [
          ["image", png()],
          ["image", png()],
        ],
        'the multipart body has 2 parts named "image": a job takes one (POST /v1/batches takes several)',
      ],
      [
        "a repeated single-valued field",
        [
          ["image", png()],
          ["mode", "learned"],
          ["mode", "shift-and-stitch"],
        ],
        'the field "mode" was given 2 times: give it once',
      ],
      [
        "a repeated list with a JSON array",
        [
          ["image", png()],
          ["outputs", '["rle"]'],
          ["outputs", "overlay"],
        ],
        'the field "outputs" was given 2 times with a JSON array among them: give the whole list once, or one value per field',
      ],
      [
        "an option sent as a file",
        [
          ["image", png()],
          ["outputs", new Uint8Array([1])],
        ],
        'the field "outputs" must be text, not a file',
      ],
    ];
    for (const [what, entries, message] of refused) {
      const r = await post(form(entries));
      expect([what, r.status, await r.json()]).toEqual([
        what,
        400,
        { error: { code: "invalid_request", message } },
      ]);
    }
    expect(await jobsNow()).toBe(before);
  });

  it("takes quality high to the GPU tier, and refuses an unknown quality", async () => {
    const r = await submit(key, png(), { quality: "high" });
    expect(r.status).toBe(202);
    expect(((await r.json()) as { quality: string }).quality).toBe("high");
    expect((await drainQueue())[0]).toMatchObject({ quality: "high" });
    const bad = await submit(key, png(), { quality: "ultra" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /quality must be one of/,
    );
  });

  it("is idempotent: same key and body give the same job, a different body 409", async () => {
    const headers = { "idempotency-key": "idem-1" };
    const a = (await (await submit(key, png(), {}, headers)).json()) as JobJson;
    const second = await submit(key, png(), {}, headers);
    expect(second.status).toBe(202);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(((await second.json()) as JobJson).id).toBe(a.id);
    const conflict = await submit(key, png(), { mode: "shift-and-stitch" }, headers);
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: { code: string } }).error.code).toBe("idempotency_conflict");
    expect(await drainQueue()).toHaveLength(1); // one job, one message
  });

  const invalid: [string, () => Promise<Response>, number, string][] = [
    [
      "a raw image body",
      () =>
        call("/v1/jobs", {
          method: "POST",
          body: png(),
          headers: { authorization: `Bearer ${key}`, "content-type": "image/png" },
        }),
      415,
      "unsupported_media_type",
    ],
    ["an unknown mode", () => submit(key, png(), { mode: "magic" }), 400, "invalid_request"],
    ["an unknown output", () => submit(key, png(), { outputs: "mask,depth" }), 400, "invalid_request"],
    ["an unknown field", () => submit(key, png(), { colour: "red" }), 400, "invalid_request"],
    ["malformed JSON options", () => submit(key, png(), { outputs: '["mask"' }), 400, "invalid_request"],
    [
      "an unknown webhook event",
      () => submit(key, png(), { webhook_url: "http://127.0.0.1:9/hook", webhook_events: "job.exploded" }),
      400,
      "invalid_request",
    ],
    [
      "a webhook_url that is no URL",
      () => submit(key, png(), { webhook_url: "not a url" }),
      400,
      "invalid_webhook_url",
    ],
    [
      "a non-image file",
      () => submit(key, new TextEncoder().encode("<html></html>")),
      415,
      "unsupported_media_type",
    ],
    [
      "a pixel bomb header",
      () => {
        const b = png().slice();
        new DataView(b.buffer).setUint32(16, 60000);
        new DataView(b.buffer).setUint32(20, 60000);
        return submit(key, b);
      },
      422,
      "too_many_pixels",
    ],
  ];
  it("refuses a JPEG cut at 2,000, 20,000 or 60,000 bytes as truncated, before anything is queued", async () => {
    const whole = fromBase64(inject("samples")[0].image);
    for (const at of [2_000, 20_000, 60_000]) {
      const r = await submit(key, whole.slice(0, at));
      expect(r.status, `cut at ${at}`).toBe(400);
      const { error } = (await r.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("unreadable_image");
      expect(error.message).toMatch(/truncated/);
    }
    expect(await drainQueue()).toHaveLength(0);
  });

  for (const [name, send, status, code] of invalid) {
    it(`refuses ${name} with ${status} ${code}`, async () => {
      const r = await send();
      expect(r.status).toBe(status);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe(code);
    });
  }
});

// Issue #15 finding 2: job URLs were built from the request's origin, so a client's Host
// header decided where the GPU tier connected.
describe("the public origin", () => {
  it("job message URLs and result links use PUBLIC_BASE_URL, never the request's Host", async () => {
    await drainQueue();
    const request = new Request("http://127.0.0.1:9602/v1/jobs", {
      method: "POST",
      body: jobForm(png()),
      headers: { authorization: `Bearer ${key}`, host: "127.0.0.1:9602" },
    });
    const r = await exports.default.fetch(request);
    expect(r.status).toBe(202);
    const job = (await r.json()) as JobJson;
    const [message] = (await drainQueue()).filter((m) => m.job_id === job.id);
    const urls = [message.input.url, message.callback.url, message.outputs.mask!.url];
    for (const url of urls) expect(new URL(url).origin).toBe(env.PUBLIC_BASE_URL);
  });

  it("a production Worker without PUBLIC_BASE_URL refuses jobs with 503 misconfigured and stores nothing", async () => {
    const misconfigured = { ...env, ENVIRONMENT: "production", PUBLIC_BASE_URL: "" };
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>();
    let thrown: unknown;
    try {
      await acceptJob(misconfigured, {
        apiKeyId: "key_x",
        bytes: png(),
        contentType: "image/png",
        width: 64,
        height: 48,
        mode: "learned",
        quality: "standard",
        outputs: ["mask"],
        webhookUrl: null,
        webhookEvents: [],
        idempotencyKey: null,
        requestHash: "h",
      });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { code?: string }).code).toBe("misconfigured");
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });
});

// Issue #15 findings 1 and 7, through the whole app with production settings.
describe("a production Worker", () => {
  const production = { ...env, ENVIRONMENT: "production", PUBLIC_BASE_URL: "https://edge.test" };
  const submitTo = (fields: Record<string, string>) =>
    worker.fetch(
      new Request("https://edge.test/v1/jobs", {
        method: "POST",
        body: jobForm(png(), fields),
        headers: { authorization: `Bearer ${key}` },
      }),
      production,
      createExecutionContext(),
    );

  it("refuses a metadata-service webhook_url and hands out no demo key", async () => {
    const r = await submitTo({ webhook_url: "http://169.254.169.254/latest/meta-data" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("invalid_webhook_url");
    const demo = await worker.fetch(
      new Request("https://edge.test/v1/demo/key"),
      production,
      createExecutionContext(),
    );
    expect(demo.status).toBe(404);
  });

  it("answers 503 dns_unavailable with Retry-After when DNS-over-HTTPS is unreachable, not 500", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("fetch failed"));
    try {
      const r = await submitTo({ webhook_url: "https://hooks.example.com/fcn" });
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("30");
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("dns_unavailable");
    } finally {
      fetchSpy.mockRestore();
    }
  });
});

describe("reading jobs", () => {
  it("shows a key its own jobs only; another key gets 404", async () => {
    const job = (await (await submit(key, png())).json()) as JobJson;
    expect((await call(`/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(
      200,
    );
    const foreign = await call(`/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${other}` } });
    expect(foreign.status).toBe(404);
    expect(
      (await call(`/v1/jobs/${job.id}`, { method: "DELETE", headers: { authorization: `Bearer ${other}` } }))
        .status,
    ).toBe(404);
  });

  it("lists jobs newest first with a cursor", async () => {
    const mine = await newKey("lister");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await submit(mine.key, png())).json()) as JobJson).id);
    const auth = { authorization: `Bearer ${mine.key}` };
    const page1 = (await (await call("/v1/jobs?limit=2", { headers: auth })).json()) as {
      data: JobJson[];
      next_cursor: string;
    };
    expect(page1.data.map((j) => j.id)).toHaveLength(2);
    const page2 = (await (
      await call(`/v1/jobs?limit=2&cursor=${encodeURIComponent(page1.next_cursor)}`, { headers: auth })
    ).json()) as { data: JobJson[]; next_cursor: string | null };
    expect([...page1.data, ...page2.data].map((j) => j.id).sort()).toEqual([...ids].sort());
    expect(page2.next_cursor).toBeNull();
    expect((await call("/v1/jobs?limit=0", { headers: auth })).status).toBe(400);
  });

  // Issue #15 finding 5: these answered 500 (a D1 type error) instead of 400.
  it("answers 400 invalid_request with an error body for every malformed cursor or limit", async () => {
    const auth = { authorization: `Bearer ${key}` };
    const bad = [
      "cursor=MQ==", // 1
      "cursor=W10=", // []
      `cursor=${btoa('["x","y"]')}`,
      `cursor=${btoa("[1,2]")}`,
      `cursor=${btoa('{"a":1}')}`,
      "cursor=%%%",
      "cursor=bm90IGpzb24=",
      "limit=abc",
      "limit=1e1",
      "limit=-1",
      "limit=101",
    ];
    for (const query of bad) {
      const r = await call(`/v1/jobs?${query}`, { headers: auth });
      expect([query, r.status]).toEqual([query, 400]);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("invalid_request");
      expect(body.error.message).toEqual(expect.any(String));
    }
  });

  it("cancels a queued job once; a second DELETE only confirms it", async () => {
    const job = (await (await submit(key, png())).json()) as JobJson;
    const auth = { authorization: `Bearer ${key}` };
    const r = await call(`/v1/jobs/${job.id}`, { method: "DELETE", headers: auth });
    expect(((await r.json()) as JobJson).status).toBe("canceled");
    const again = await call(`/v1/jobs/${job.id}`, { method: "DELETE", headers: auth });
    expect([again.status, ((await again.json()) as JobJson).status]).toEqual([200, "canceled"]);
  });
});

it("rate-limits submissions per key with 429 and Retry-After", async () => {
  const limited = await newKey("limited");
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  // A burst of 60, and one more token a second meanwhile: stop at the first refusal.
  for (let i = 0; i < 120 && retryAfter === null; i++) {
    const r = await submit(limited.key, new Uint8Array([1, 2, 3]));
    statuses.push(r.status);
    if (r.status === 429) retryAfter = r.headers.get("retry-after");
  }
  expect(statuses.filter((s) => s === 429).length).toBe(1);
  expect(Number(retryAfter)).toBeGreaterThan(0);
});

describe("Prefer: wait", () => {
  it("holds a queued job for N seconds and answers 202 with Preference-Applied", async () => {
    const t0 = Date.now();
    const r = await submit(key, png(), {}, { prefer: "respond-async, wait=1" });
    expect(r.status).toBe(202);
    expect(r.headers.get("preference-applied")).toBe("wait=1");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(((await r.json()) as JobJson).status).toBe("queued");
    await drainQueue();
  });

  it("answers 200 with the job once it ends, on a replay too", async () => {
    const headers = { "idempotency-key": "wait-1" };
    const job = (await (await submit(key, png(), {}, headers)).json()) as JobJson;
    const failed = await postCallback(job.id, {
      job_id: job.id,
      status: "failed",
      attempt: 1,
      error: { code: "boom", message: "it broke" },
    });
    expect(failed.status).toBe(200);
    const t0 = Date.now();
    const r = await submit(key, png(), {}, { ...headers, prefer: "wait=30" });
    expect(Date.now() - t0).toBeLessThan(5000); // ended already: no wait
    expect(r.status).toBe(200);
    expect(r.headers.get("preference-applied")).toBe("wait=30");
    expect(r.headers.get("idempotent-replayed")).toBe("true");
    expect((await r.json()) as JobJson).toMatchObject({ id: job.id, status: "failed" });
    // Without the preference a replay answers 202, as before.
    expect((await submit(key, png(), {}, headers)).status).toBe(202);
    await drainQueue();
  });

  it(`holds at most ${MAX_WAITS_PER_KEY} per key at once: one more is 429 before anything is stored (issue #29, finding 5)`, async () => {
    const holder = await newKey("waits");
    const slots = async () =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM key_slots WHERE bucket = ?")
          .bind(`waits:${holder.id}`)
          .first<{ n: number }>()
      )?.n ?? 0;
    const jobsOfKey = async () =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE api_key_id = ?")
          .bind(holder.id)
          .first<{ n: number }>()
      )?.n ?? 0;
    const held = Array.from({ length: MAX_WAITS_PER_KEY }, () =>
      submit(holder.key, png(), {}, { prefer: "wait=3" }),
    );
    await vi.waitUntil(async () => (await slots()) === MAX_WAITS_PER_KEY, { timeout: 5000, interval: 50 });
    const before = await jobsOfKey();
    const over = await submit(holder.key, png(), {}, { prefer: "wait=3" });
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe(String(SLOT_RETRY_AFTER_S));
    expect(((await over.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: "rate_limited",
      message: `more than ${MAX_WAITS_PER_KEY} held \`Prefer: wait\` requests for this API key; end one, or retry in ${SLOT_RETRY_AFTER_S} s`,
    });
    expect(await jobsOfKey()).toBe(before); // refused before the body was read
    // without the preference the key submits as usual
    expect((await submit(holder.key, png())).status).toBe(202);
    expect((await Promise.all(held)).map((r) => r.status)).toEqual(Array(MAX_WAITS_PER_KEY).fill(202));
    await vi.waitUntil(async () => (await slots()) === 0, { timeout: 5000, interval: 50 }); // given back
    expect((await submit(holder.key, png(), {}, { prefer: "wait=1" })).status).toBe(202);
    await drainQueue();
  });

  it.each(["wait=0", "wait=61", "wait=abc", "wait", "wait=-1", "wait=1.5", "respond-async", "%%%"])(
    "ignores %j: 202 at once, no Preference-Applied",
    async (prefer) => {
      const t0 = Date.now();
      const r = await submit(key, png(), {}, { prefer });
      expect(r.status).toBe(202);
      expect(r.headers.get("preference-applied")).toBeNull();
      expect(Date.now() - t0).toBeLessThan(900);
      await drainQueue();
    },
  );
});

describe("Cancel-After", () => {
  const refused: [string, Record<string, string>, Record<string, string>][] = [
    ["Cancel-After: 0", {}, { "cancel-after": "0" }],
    ["Cancel-After over a day", {}, { "cancel-after": "86401" }],
    ["Cancel-After: soon", {}, { "cancel-after": "soon" }],
    ["Cancel-After: 1.5", {}, { "cancel-after": "1.5" }],
    ["Cancel-After: -5", {}, { "cancel-after": "-5" }],
    ["deadline_s: 0", { deadline_s: "0" }, {}],
    ["deadline_s: 1e3", { deadline_s: "1e3" }, {}],
    ["a Cancel-After and a deadline_s that disagree", { deadline_s: "10" }, { "cancel-after": "20" }],
  ];
  it.each(refused)("refuses %s with 400 invalid_request, storing nothing", async (_, fields, headers) => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>();
    const r = await submit(key, png(), fields, headers);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("stores the deadline, shows it, and carries it in the job message (header or form field)", async () => {
    for (const [fields, headers] of [
      [{}, { "cancel-after": "300" }],
      [{ deadline_s: "300" }, {}],
    ]) {
      const r = await submit(key, png(), fields, headers);
      expect(r.status).toBe(202);
      const job = (await r.json()) as JobJson & { created_at: string; cancel_after_at: string };
      expect(Date.parse(job.cancel_after_at) - Date.parse(job.created_at)).toBe(300_000);
      const [message] = await drainQueue();
      expect(message.cancel_after_at).toBe(job.cancel_after_at);
    }
    const plain = (await (await submit(key, png())).json()) as { cancel_after_at: string | null };
    expect(plain.cancel_after_at).toBeNull();
    expect((await drainQueue())[0].cancel_after_at).toBeUndefined();
  });

  it("cancels a job still queued at its deadline (cron sweep), with the reason; it never runs", async () => {
    const job = (await (await submit(key, png(), {}, { "cancel-after": "1" })).json()) as JobJson;
    await drainQueue();
    await new Promise((r) => setTimeout(r, 1100));
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const view = (await (
      await call(`/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as JobJson;
    expect(view.status).toBe("canceled");
    expect(view.error).toEqual({
      code: "deadline_exceeded",
      message: expect.stringMatching(/Cancel-After of 1 s/),
    });
    // A late GPU tier is told the job is over, and nothing is sent to the queue again.
    const running = await postCallback(job.id, { job_id: job.id, status: "running", attempt: 1 });
    expect(running.status).toBe(409);
    expect(await drainQueue()).toEqual([]);
    expect(
      (
        (await (
          await call(`/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${key}` } })
        ).json()) as JobJson
      ).attempts,
    ).toBe(0);
  });

  it("cancels a running job at its deadline (sweep) rather than requeue it", async () => {
    const job = (await (await submit(key, png(), {}, { "cancel-after": "1" })).json()) as JobJson;
    await drainQueue();
    expect((await postCallback(job.id, { job_id: job.id, status: "running", attempt: 1 })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    // Far enough ahead that the run deadline has passed too: the overdue job is not requeued.
    const stats = await sweep(env, Date.now() + 60 * 60 * 1000);
    expect(stats.canceled).toBeGreaterThanOrEqual(1);
    const row = await env.DB.prepare("SELECT status, error_code FROM jobs WHERE id = ?")
      .bind(job.id)
      .first<{ status: string; error_code: string }>();
    expect(row).toEqual({ status: "canceled", error_code: "deadline_exceeded" });
    // (the sweep an hour ahead re-sends other tests' queued jobs, never this one)
    expect((await drainQueue()).map((m) => m.job_id)).not.toContain(job.id);
  });

  it("refuses the callbacks of a job past its deadline before the sweep ran: canceled, not succeeded", async () => {
    const job = (await (await submit(key, png(), {}, { "cancel-after": "1" })).json()) as JobJson;
    await drainQueue();
    expect((await postCallback(job.id, { job_id: job.id, status: "running", attempt: 1 })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const late = await postCallback(job.id, {
      job_id: job.id,
      status: "failed",
      attempt: 1,
      error: { code: "deadline_exceeded", message: "stopped between tiles" },
    });
    expect(late.status).toBe(409);
    const row = await env.DB.prepare("SELECT status, error_code FROM jobs WHERE id = ?")
      .bind(job.id)
      .first<{ status: string; error_code: string }>();
    expect(row).toEqual({ status: "canceled", error_code: "deadline_exceeded" });
  });
});
