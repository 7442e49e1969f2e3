/**
 * The job flow across the tiers on one machine: the Worker (wrangler dev, local R2/D1/Queues),
 * the local SQS emulator and the GPU service on CPU, the run's shared system
 * (test/fixtures/system.ts). Webhooks go to a local receiver that verifies them with the
 * `standardwebhooks` library.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import sharp from "sharp";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSse } from "../../cli/sse.ts";
import { readDevVars } from "../../scripts/dev-vars.ts";
import { hmacHex } from "../../worker/auth/hmac.ts";
import {
  camvidValImages,
  camvidValMasks,
  frameType,
  requireCamvid,
  skipWithoutCamvid,
} from "../fixtures/camvid.ts";
import { readPalettePngStrict } from "../fixtures/strict-png.ts";
import { freePort, type SharedSystem, sharedSystem } from "../fixtures/system.ts";
import { waitFor as poll } from "../fixtures/wait-for.ts";

const SAMPLE = "worker/demo/public/samples/0016E5_08085.jpg";

interface Delivery {
  id: string;
  type: string;
  data: { id: string; status: string; result: { mask_url: string } | null };
}

let system: SharedSystem;
let base: string;
let receiver: Server;
let receiverUrl: string;
let secret: string;
let key: string;
/** How many of the next deliveries per job the receiver fails with 500 before accepting. */
const failFirst = new Map<string, number>();
const attempts = new Map<string, number>();
const delivered: Delivery[] = [];

async function api(path: string, init: RequestInit = {}, token = key) {
  return fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...init.headers },
  });
}

function submit(
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  image = { path: SAMPLE, type: "image/jpeg" },
) {
  const form = new FormData();
  form.append("image", new Blob([readFileSync(image.path)], { type: image.type }), basename(image.path));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return api("/v1/jobs", { method: "POST", body: form, headers });
}

const waitFor = <T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 90_000) =>
  poll(what, check, timeoutMs);

const val = camvidValImages();
const skipCamvid = skipWithoutCamvid("the end-to-end jobs of CamVid val images");
/** The labels of the mask behind a signed `mask_url`, read with the strict PNG decoder. */
async function maskLabels(url: string): Promise<Buffer> {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  return Buffer.from(readPalettePngStrict(new Uint8Array(await r.arrayBuffer())).labels);
}

/** The labels of `npx fcn predict`'s mask of a val image (made in beforeAll). */
const referenceLabels = (image: string) =>
  Buffer.from(
    readPalettePngStrict(readFileSync(join(valReference, `${basename(image).replace(/\.[^.]+$/, "")}.png`)))
      .labels,
  );

/**
 * The GPU service's final "job finished" log line for a job (its outcome), from the shared
 * system's output; undefined while there is none (or only "retried"/"released", which mean
 * the message comes back).
 */
function gpuJobEnd(jobId: string): string | undefined {
  for (const line of system.log().split("\n")) {
    if (!line.includes('"job finished"') || !line.includes(jobId)) continue;
    const entry = JSON.parse(line.slice(line.indexOf("{"))) as { job_id?: string; outcome?: string };
    if (entry.job_id === jobId && entry.outcome !== "retried" && entry.outcome !== "released")
      return `"job finished" (${entry.outcome})`;
  }
  return undefined;
}

/** Poll GET /v1/jobs/{id} until the job has ended. */
const finished = (id: string, timeoutMs = 180_000) =>
  waitFor(
    `job ${id} to end`,
    async () => {
      const j = (await (await api(`/v1/jobs/${id}`)).json()) as {
        status: string;
        result: { mask_url: string } | null;
      };
      return ["succeeded", "failed", "canceled"].includes(j.status) ? j : undefined;
    },
    timeoutMs,
  );

/** `npx fcn predict`'s masks of the val images, shared with the CLI's test (camvid.ts); made
 * before the suite talks to the system: a long pause between requests lets the dev server
 * close pooled keep-alive sockets under the client. */
let valReference: string;

beforeAll(async () => {
  [valReference, system] = await Promise.all([val.length > 0 ? camvidValMasks() : "", sharedSystem()]);
  base = system.api.base;
  const created = await fetch(`${base}/v1/admin/keys`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${system.api.secrets.ADMIN_TOKEN}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ name: "e2e" }),
  });
  ({ key, webhook_secret: secret } = (await created.json()) as { key: string; webhook_secret: string });
  const port = await freePort();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      let payload: Delivery;
      try {
        payload = new Webhook(secret).verify(body, req.headers as Record<string, string>) as Delivery;
      } catch {
        res.writeHead(401).end();
        return;
      }
      const jobId = payload.data.id;
      attempts.set(jobId, (attempts.get(jobId) ?? 0) + 1);
      const failing = failFirst.get(jobId) ?? 0;
      if (failing > 0) {
        failFirst.set(jobId, failing - 1);
        res.writeHead(500).end("not now");
        return;
      }
      delivered.push({ ...payload, id: String(req.headers["webhook-id"]) });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(port, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${port}/hooks`;
}, 400_000);

afterAll(() => {
  receiver?.close();
});

describe("jobs end to end", () => {
  it("a val image comes back by signed webhook with the mask `npx fcn predict` gives with FCN-8s", async () => {
    const job = (await (await submit({ webhook_url: receiverUrl })).json()) as { id: string };
    const hook = await waitFor("the webhook", () => delivered.find((d) => d.data.id === job.id));
    expect(hook.type).toBe("job.succeeded");
    expect(hook.data.status).toBe("succeeded");
    const mask = readPalettePngStrict(
      new Uint8Array(await (await fetch(hook.data.result!.mask_url)).arrayBuffer()),
    );
    const out = mkdtempSync(join(tmpdir(), "fcn-e2e-"));
    execFileSync(
      process.execPath,
      ["cli/fcn.js", "predict", "--model", "models/fcn8s.onnx", "--out", out, SAMPLE],
      { stdio: "ignore" },
    );
    const reference = readPalettePngStrict(readFileSync(join(out, "0016E5_08085.png")));
    expect([mask.width, mask.height]).toEqual([480, 360]);
    expect(Buffer.from(mask.labels).equals(Buffer.from(reference.labels))).toBe(true);
    // polling shows the same job
    const polled = (await (await api(`/v1/jobs/${job.id}`)).json()) as {
      status: string;
      result: { class_fractions: number[]; classes: { id: number; name: string; fraction: number }[] };
    };
    expect(polled.status).toBe("succeeded");
    expect(polled.result.class_fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(polled.result.classes.map((c) => c.name).slice(0, 3)).toEqual(["Sky", "Building", "Pole"]);
    expect(polled.result.classes.map((c) => c.fraction)).toEqual(polled.result.class_fractions);
  });

  it("rle and overlay outputs: pycocotools' decoding gives the mask, the overlay is a JPEG at its size", async () => {
    const submitted = (await (await submit({ outputs: "rle,overlay" })).json()) as { id: string };
    const job = await waitFor("the job", async () => {
      const polled = (await (await api(`/v1/jobs/${submitted.id}`)).json()) as {
        status: string;
        result: { mask_url: string; rle_url: string; overlay_url: string } | null;
      };
      return polled.status === "succeeded" ? polled : undefined;
    });
    const download = async (url: string, type: string) => {
      const r = await fetch(url);
      expect(r.headers.get("content-type")).toBe(type);
      return new Uint8Array(await r.arrayBuffer());
    };
    const mask = readPalettePngStrict(await download(job.result!.mask_url, "image/png"));
    const rle = await download(job.result!.rle_url, "application/json");
    expect(JSON.parse(new TextDecoder().decode(rle)).size).toEqual([360, 480]);
    const decoded = spawnSync("/usr/bin/python3", ["test/fixtures/coco_rle_decode.py"], {
      input: rle,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    expect(decoded.status, decoded.stderr).toBe(0);
    const lines = decoded.stdout.trim().split("\n");
    expect(lines.map((l) => Number(l.split(" ")[0]))).toEqual(
      [...new Set(mask.labels)].sort((a, b) => a - b),
    );
    for (const line of lines) {
      const [id, digits] = line.split(" ");
      expect(Array.from(mask.labels, (l) => (l === Number(id) ? "1" : "0")).join("") === digits, id).toBe(
        true,
      );
    }
    const overlay = await sharp(await download(job.result!.overlay_url, "image/jpeg")).metadata();
    expect([overlay.format, overlay.width, overlay.height]).toEqual(["jpeg", 480, 360]);
  });

  it("Prefer: wait holds the submission until the job has succeeded: 200 with the result", async () => {
    const r = await submit({}, { prefer: "wait=60" });
    expect(r.status).toBe(200);
    expect(r.headers.get("preference-applied")).toBe("wait=60");
    const job = (await r.json()) as { status: string; result: { mask_url: string } | null };
    expect(job.status).toBe("succeeded");
    const mask = readPalettePngStrict(
      new Uint8Array(await (await fetch(job.result!.mask_url)).arrayBuffer()),
    );
    expect([mask.width, mask.height]).toEqual([480, 360]);
  }, 90_000);

  it("HEIC and AVIF photos (a portrait one rotated by irot/imir) come back with masks at their displayed size", async () => {
    for (const [file, type, size] of [
      ["photo.heic", "image/heic", [96, 64]],
      ["photo-irot1.heic", "image/heic", [64, 96]],
      ["photo-irot3-imir1.avif", "image/avif", [64, 96]],
      // a phone-sized one: the GPU service decodes it whole (the job limit is 40 MP)
      ["phone12-irot3.avif", "image/avif", [3024, 4032]],
    ] as const) {
      const image = { path: `models/runtime/fixtures/heif/${file}`, type };
      const r = await submit({}, { prefer: "wait=60" }, image);
      const job = (await r.json()) as { status: string; result: { mask_url: string } | null };
      expect([r.status, job.status], file).toEqual([200, "succeeded"]);
      const mask = readPalettePngStrict(
        new Uint8Array(await (await fetch(job.result!.mask_url)).arrayBuffer()),
      );
      expect([mask.width, mask.height], file).toEqual(size);
    }
  }, 180_000);

  // Through wrangler dev's bundle, as deployed: the workerd tests run the decoders in vitest's
  // pool, which defines what the bundle lacked (every HEIC preview answered 400 there).
  it("HEIC and AVIF previews (small, 12 MP, and 24 and 48 MP grids) answer masks at their displayed size", async () => {
    for (const [file, type, size] of [
      ["photo.heic", "image/heic", [96, 64]],
      ["photo-irot1.heic", "image/heic", [64, 96]],
      ["phone12-irot3.heic", "image/heic", [3024, 4032]],
      ["grid24.heic", "image/heic", [6048, 4032]],
      ["grid48.heic", "image/heic", [8064, 6048]],
      ["grid-irot3.heic", "image/heic", [800, 1200]],
      ["photo-irot3-imir1.avif", "image/avif", [64, 96]],
      // 12 MP 8-bit 4:2:0 AVIFs and 24 and 48 MP grids, decoded reduced by dav1d (ogv.js's wasm)
      // inside the Worker bundle
      ["phone12.avif", "image/avif", [4032, 3024]],
      ["phone12-irot3.avif", "image/avif", [3024, 4032]],
      ["grid24.avif", "image/avif", [6144, 4096]],
      ["grid48-irot3.avif", "image/avif", [6144, 8192]],
    ] as const) {
      const r = await fetch(`${base}/v1/preview`, {
        method: "POST",
        body: readFileSync(`models/runtime/fixtures/heif/${file}`),
        headers: { "content-type": type },
      });
      const body = new Uint8Array(await r.arrayBuffer());
      expect(
        [r.status, r.headers.get("content-type")],
        `${file}: ${new TextDecoder().decode(body.slice(0, 200))}`,
      ).toEqual([200, "image/png"]);
      const mask = readPalettePngStrict(body);
      expect([mask.width, mask.height], file).toEqual(size);
    }
  }, 120_000);

  it("a shift-and-stitch job's event stream shows its progress stages, ending in succeeded; job.started is delivered (issue #17)", async () => {
    const submitted = (await (
      await submit({
        mode: "shift-and-stitch",
        webhook_url: receiverUrl,
        webhook_events: "job.started,job.succeeded",
      })
    ).json()) as { id: string };
    const r = await api(`/v1/jobs/${submitted.id}/events`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const seen: { event: string; status: string; progress: { stage: string; fraction: number } | null }[] =
      [];
    for await (const e of readSse(r.body!)) {
      const job = JSON.parse(e.data) as (typeof seen)[number];
      seen.push({ event: e.event, status: job.status, progress: job.progress });
    }
    // the stream ended by itself, after the final status
    expect(seen.at(-1)).toEqual({
      event: "status",
      status: "succeeded",
      progress: { stage: "uploading", fraction: 1 },
    });
    expect(seen.filter((e) => e.event === "status").map((e) => e.status)).toEqual(
      expect.arrayContaining(["running", "succeeded"]),
    );
    const stages = seen.flatMap((e) => (e.event === "progress" && e.progress ? [e.progress.stage] : []));
    expect(stages).toContain("inferring");
    const fractions = seen.flatMap((e) => (e.progress ? [e.progress.fraction] : []));
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b)); // never backwards
    const started = await waitFor("job.started", () =>
      delivered.find((d) => d.data.id === submitted.id && d.type === "job.started"),
    );
    expect(started.id).toBe(`msg_${submitted.id}_started`);
  }, 240_000);

  it("a receiver that fails its first 3 deliveries gets the 4th, and every attempt is recorded", async () => {
    const job = (await (await submit({ webhook_url: `${receiverUrl}?flaky` })).json()) as { id: string };
    failFirst.set(job.id, 3);
    const hook = await waitFor(
      "the 4th delivery",
      () => delivered.find((d) => d.data.id === job.id),
      120_000,
    );
    expect(attempts.get(job.id)).toBe(4);
    expect(hook.id).toBe(`msg_${job.id}_succeeded`);
    const { data } = (await (await api(`/v1/jobs/${job.id}/deliveries`)).json()) as {
      data: { outcome: string; status_code: number }[];
    };
    expect(data.map((d) => d.outcome)).toEqual(["failed", "failed", "failed", "delivered"]);
  }, 150_000);

  it.skipIf(skipCamvid)(
    "every CamVid val image as a job: each mask reads under a strict decoder and equals `npx fcn predict`'s",
    async () => {
      requireCamvid();
      // Two keys: one key may submit 60 jobs a minute.
      const keys: string[] = [];
      for (const name of ["e2e-val-a", "e2e-val-b"]) {
        const created = await fetch(`${base}/v1/admin/keys`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${system.api.secrets.ADMIN_TOKEN}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ name }),
        });
        keys.push(((await created.json()) as { key: string }).key);
      }
      const jobs: { id: string; token: string; image: string }[] = [];
      for (const [i, image] of val.entries()) {
        const token = keys[i % 2];
        const form = new FormData();
        form.append("image", new Blob([readFileSync(image)], { type: frameType(image) }), basename(image));
        const r = await api("/v1/jobs", { method: "POST", body: form }, token).catch((error: unknown) => {
          throw new Error(`submitting ${image} (job ${i + 1} of ${val.length}): ${error}`, { cause: error });
        });
        expect([image, r.status, r.status === 202 ? "" : await r.text()]).toEqual([image, 202, ""]);
        jobs.push({ id: ((await r.json()) as { id: string }).id, token, image });
      }
      for (const job of jobs) {
        const done = await waitFor(
          `job ${job.id}`,
          async () => {
            const polled = await api(`/v1/jobs/${job.id}`, {}, job.token).catch((error: unknown) => {
              throw new Error(`polling ${job.id}: ${error}`, { cause: error });
            });
            const j = (await polled.json()) as {
              status: string;
              result: { mask_url: string } | null;
            };
            return j.status === "succeeded" || j.status === "failed" ? j : undefined;
          },
          300_000,
        );
        expect(done.status, job.image).toBe("succeeded");
        const mask = readPalettePngStrict(
          new Uint8Array(
            await (
              await fetch(done.result!.mask_url).catch((error: unknown) => {
                throw new Error(`downloading the mask of ${job.image}: ${error}`, { cause: error });
              })
            ).arrayBuffer(),
          ),
        );
        const stem = basename(job.image).replace(/\.[^.]+$/, "");
        const reference = readPalettePngStrict(readFileSync(join(valReference, `${stem}.png`)));
        expect(Buffer.from(mask.labels).equals(Buffer.from(reference.labels)), job.image).toBe(true);
      }
    },
    600_000,
  );

  it("a duplicate submit with the same Idempotency-Key makes one job", async () => {
    const headers = { "idempotency-key": `e2e-${Date.now()}` };
    const [a, b] = await Promise.all([submit({}, headers), submit({}, headers)]);
    const [ja, jb] = (await Promise.all([a.json(), b.json()])) as { id: string }[];
    expect(ja.id).toBe(jb.id);
    const done = await waitFor("the job to finish", async () => {
      const j = (await (await api(`/v1/jobs/${ja.id}`)).json()) as { status: string; attempts: number };
      return j.status === "succeeded" ? j : undefined;
    });
    expect(done.attempts).toBe(1);
  });

  it.skipIf(skipCamvid)(
    "a batch of 3 val images completes across the tiers: items in order, masks equal `npx fcn predict`'s, one signed batch.completed (issue #17)",
    async () => {
      requireCamvid();
      const images = val.slice(0, 3);
      const form = new FormData();
      for (const image of images)
        form.append("image", new Blob([readFileSync(image)], { type: frameType(image) }), basename(image));
      form.append("webhook_url", receiverUrl);
      const r = await api("/v1/batches", { method: "POST", body: form });
      expect(r.status, await r.clone().text()).toBe(202);
      const { id } = (await r.json()) as { id: string };
      interface BatchJson {
        id: string;
        status: string;
        counts: Record<string, number>;
        items: { index: number; job_id: string; status: string; result: Record<string, unknown> | null }[];
        [field: string]: unknown;
      }
      const batch = await waitFor(
        "the batch to complete",
        async () => {
          const b = (await (await api(`/v1/batches/${id}`)).json()) as BatchJson;
          return b.status === "completed" ? b : undefined;
        },
        240_000,
      );
      expect(batch.counts).toEqual({ queued: 0, running: 0, succeeded: 3, failed: 0, canceled: 0 });
      expect(batch.items.map((i) => i.index)).toEqual([0, 1, 2]);
      for (const [i, item] of batch.items.entries()) {
        expect(item.status).toBe("succeeded");
        const labels = await maskLabels(item.result!.mask_url as string);
        expect(labels.equals(referenceLabels(images[i])), images[i]).toBe(true);
        // each item is an ordinary job, and its order is the submission's
        const job = (await (await api(`/v1/jobs/${item.job_id}`)).json()) as {
          input: { bytes: number };
          batch_id: string | null;
          batch_index: number | null;
        };
        expect([job.input.bytes, job.batch_id, job.batch_index]).toEqual([
          readFileSync(images[i]).length,
          id,
          i,
        ]);
      }
      const hook = await waitFor("batch.completed", () => delivered.find((d) => d.data.id === id));
      // the receiver verified its signature with `standardwebhooks` (it answers 401 otherwise)
      expect(hook.type).toBe("batch.completed");
      expect(hook.id).toBe(`msg_${id}_completed`);
      // `data` is the batch; result links are signed afresh on every read, so they are left out
      const unsigned = (b: BatchJson) => ({
        ...b,
        items: b.items.map(({ result, ...rest }) => ({
          ...rest,
          result:
            result &&
            Object.fromEntries(Object.entries(result).filter(([k]) => !/_url$|^expires_at$/.test(k))),
        })),
      });
      expect(unsigned(hook.data as unknown as BatchJson)).toEqual(unsigned(batch));
      // exactly one (a late duplicate is caught by the suite's last test)
      expect(delivered.filter((d) => d.data.id === id)).toHaveLength(1);
    },
    300_000,
  );

  it.skipIf(skipCamvid)(
    "a job by image_url from a loopback server gives the same mask as the uploaded image (issue #17)",
    async () => {
      requireCamvid();
      const image = val[3];
      const bytes = readFileSync(image);
      let served = 0;
      const origin = createServer((req, res) => {
        served++;
        if (req.url !== "/frame.jpg") return void res.writeHead(404).end();
        res.writeHead(200, { "content-type": frameType(image), "content-length": bytes.length }).end(bytes);
      });
      const port = await freePort();
      await new Promise<void>((r) => origin.listen(port, "127.0.0.1", r));
      try {
        const byUrl = await api("/v1/jobs", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ image_url: `http://127.0.0.1:${port}/frame.jpg` }),
        });
        expect(byUrl.status, await byUrl.clone().text()).toBe(202);
        const form = new FormData();
        form.append("image", new Blob([bytes], { type: frameType(image) }), basename(image));
        const uploaded = await api("/v1/jobs", { method: "POST", body: form });
        expect(uploaded.status).toBe(202);
        const [a, b] = await Promise.all(
          [byUrl, uploaded].map(async (r) => finished(((await r.json()) as { id: string }).id)),
        );
        expect([a.status, b.status]).toEqual(["succeeded", "succeeded"]);
        expect(served).toBe(1);
        const [la, lb] = await Promise.all([maskLabels(a.result!.mask_url), maskLabels(b.result!.mask_url)]);
        expect(la.equals(lb)).toBe(true);
        expect(la.equals(referenceLabels(image))).toBe(true);
      } finally {
        origin.close();
      }
    },
    240_000,
  );

  it("a Cancel-After that passes while the GPU tier works: canceled with deadline_exceeded, job.canceled delivered, no mask, never succeeded (issue #17)", async () => {
    interface JobJson {
      id: string;
      status: string;
      error: { code: string } | null;
      result: unknown;
    }
    // Shift-and-stitch runs 64 shifts, a few seconds on an idle CPU and many more on a loaded
    // one. The deadline must pass mid-job: a job that succeeded first is tried again with a
    // shorter one, a job canceled before inference began with a longer one.
    let outcome:
      | { id: string; deadlineS: number; seen: { event: string; status: string; stage?: string }[] }
      | undefined;
    let deadlineS = 4;
    for (let attempt = 0; attempt < 6 && !outcome; attempt++) {
      const r = await submit(
        { mode: "shift-and-stitch", webhook_url: receiverUrl, webhook_events: "job.canceled,job.succeeded" },
        { "cancel-after": String(deadlineS) },
      );
      expect(r.status).toBe(202);
      const { id } = (await r.json()) as { id: string };
      const seen: { event: string; status: string; stage?: string }[] = [];
      const events = await api(`/v1/jobs/${id}/events`);
      for await (const e of readSse(events.body!)) {
        const job = JSON.parse(e.data) as { status: string; progress: { stage: string } | null };
        seen.push({ event: e.event, status: job.status, stage: job.progress?.stage });
      }
      const ended = seen.at(-1)?.status;
      if (ended === "canceled" && seen.some((e) => e.stage === "inferring"))
        outcome = { id, deadlineS, seen };
      else if (ended === "succeeded" && deadlineS > 1) deadlineS = Math.max(1, Math.floor(deadlineS / 2));
      else if (ended === "canceled") deadlineS *= 2;
      else
        throw new Error(`the job ended ${ended} with Cancel-After ${deadlineS} s: ${JSON.stringify(seen)}`);
      if (!outcome)
        console.warn(`[e2e] Cancel-After missed the job's inference (${ended}); trying ${deadlineS} s`);
    }
    expect(outcome, "the deadline never landed mid-job").toBeDefined();
    const { id, seen } = outcome!;
    expect(seen.at(-1)).toMatchObject({ event: "status", status: "canceled" });
    const job = (await (await api(`/v1/jobs/${id}`)).json()) as JobJson;
    expect(job.status).toBe("canceled");
    expect(job.error?.code).toBe("deadline_exceeded");
    expect(job.result).toBeNull();
    const hook = await waitFor("job.canceled", () =>
      delivered.find((d) => d.data.id === id && d.type === "job.canceled"),
    );
    expect(hook.id).toBe(`msg_${id}_canceled`);
    expect(hook.data.status).toBe("canceled");
    // No mask was written: a correctly signed link to it finds nothing.
    // (signed as worker/jobs/signed-urls.ts signs: HMAC-SHA256 of "GET path exp"; a bad one is 403)
    const maskPath = `/v1/jobs/${id}/outputs/mask`;
    const exp = Math.floor(Date.now() / 1000) + 60;
    const sig = await hmacHex(readDevVars()!.URL_SIGNING_SECRET, `GET ${maskPath} ${exp}`);
    const url = `${base}${maskPath}?exp=${exp}&sig=${sig}`;
    const mask = await fetch(url);
    expect([mask.status, ((await mask.json()) as { error: { code: string } }).error.code]).toEqual([
      404,
      "not_found",
    ]);
    // The GPU tier stops at its next shift; once it has said its last word on the job (its
    // "job finished" log line comes after its callback was answered), the job is still canceled.
    const ended = await waitFor("the GPU service to end the job", () => gpuJobEnd(id), 120_000);
    const polled = (await (await api(`/v1/jobs/${id}`)).json()) as JobJson;
    expect([polled.status, polled.result], `after the GPU service's ${ended}`).toEqual(["canceled", null]);
    expect((await fetch(url)).status).toBe(404);
    // Only job.canceled, once. Past the deadline two callbacks (progress, then the GPU tier's
    // deadline_exceeded) may each enqueue job.canceled: the consumer keeps one copy per batch,
    // and across invocations the send's claim in D1 holds the other copy back until the first
    // is delivered, then drops it.
    const hooks = delivered.filter((d) => d.data.id === id);
    expect(hooks.map((d) => `${d.type} ${d.id}`)).toEqual([`job.canceled msg_${id}_canceled`]);
  }, 300_000);

  // Last, so that late duplicates of every earlier test's webhooks have had the whole suite to
  // arrive (instead of a fixed pause after each).
  it("no webhook was delivered twice: every accepted webhook-id arrived once", () => {
    const ids = delivered.map((d) => d.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});
