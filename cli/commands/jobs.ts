import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { parseArgs } from "node:util";
import { IMAGE_FILE_TYPES } from "../../models/runtime/image-info.ts";
import type { components } from "../../protocol/api-types.ts";
import { API_HELP, apiClient, apiKey, asIs, COMMON_OPTIONS, noSerializer, ok } from "../api.ts";
import { ProgressBar } from "../progress.ts";
import { readSse } from "../sse.ts";
import type { Command } from "./types.ts";

type Job = components["schemas"]["Job"];
type Batch = components["schemas"]["Batch"];

const TYPES = IMAGE_FILE_TYPES;
/** File extension of each output `--out-dir` writes (`<job id>.<output>.<ext>`). */
const OUTPUT_FILES = { mask: "png", probabilities: "bin", rle: "json", overlay: "jpg" } as const;
const FINAL = new Set(["succeeded", "failed", "canceled"]);
const STAGES = ["queued", "running", "succeeded"];

async function getJob(o: { api?: string; key?: string }, id: string): Promise<Job> {
  const api = apiClient(o, apiKey(o));
  return (await ok(api.GET("/v1/jobs/{id}", { params: { path: { id } } }))).data;
}

/** Download every output of a succeeded job into `dir`; the paths written. */
async function saveOutputs(job: Job, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const name of job.outputs) {
    const url = job.result?.[`${name}_url`];
    if (!url) continue;
    const path = join(dir, `${job.id}.${name}.${OUTPUT_FILES[name]}`);
    await writeFile(path, new Uint8Array(await (await fetch(url)).arrayBuffer()));
    written.push(path);
  }
  return written;
}

/** Poll until the job is final, drawing progress; optionally save the mask or every output. */
async function wait(
  o: { api?: string; key?: string },
  id: string,
  out: string | undefined,
  timeoutS: number,
  json: boolean,
  outDir?: string,
): Promise<number> {
  const bar = new ProgressBar(STAGES.length, `job ${id}`);
  const deadline = Date.now() + timeoutS * 1000;
  let job = await getJob(o, id);
  while (!FINAL.has(job.status)) {
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutS} s`);
    if (!json) bar.tick(STAGES.indexOf(job.status) + 1, job.status);
    await new Promise((r) => setTimeout(r, 1000));
    job = await getJob(o, id);
  }
  if (!json) bar.tick(STAGES.length, job.status);
  return finish(job, out, json, outDir);
}

/** Steps of the watch bar: progress fractions in percent. */
const PERCENT = 100;

/**
 * Follow the job's event stream (GET /v1/jobs/{id}/events) until it is final, drawing its
 * progress; with --json, one line per event. The server ends a stream after a few minutes:
 * then this reconnects (the first event of a stream is the job as it stands).
 */
async function watch(
  o: { api?: string; key?: string },
  id: string,
  out: string | undefined,
  timeoutS: number,
  json: boolean,
  outDir?: string,
): Promise<number> {
  const bar = new ProgressBar(PERCENT, `job ${id}`);
  const signal = AbortSignal.timeout(timeoutS * 1000);
  const api = apiClient(o, apiKey(o));
  let job: Job | undefined;
  try {
    for (let attempt = 0; !job || !FINAL.has(job.status); attempt++) {
      // the stream ended before the job did (its lifetime cap): reconnect, not at once
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
      const { data: body } = await ok(
        api.GET("/v1/jobs/{id}/events", { params: { path: { id } }, parseAs: "stream", signal }),
      );
      if (!body) throw new Error("the event stream has no body");
      for await (const event of readSse(body)) {
        if (event.event !== "status" && event.event !== "progress") continue;
        job = JSON.parse(event.data) as Job;
        if (json) console.log(JSON.stringify({ event: event.event, data: job }));
        else bar.tick(Math.round((job.progress?.fraction ?? 0) * PERCENT), describe(job));
        if (FINAL.has(job.status)) break; // leaving the loop closes the stream
      }
    }
  } catch (error) {
    if (signal.aborted) throw new Error(`job ${id} still ${job?.status ?? "unknown"} after ${timeoutS} s`);
    throw error;
  }
  if (!json) bar.tick(PERCENT, job.status);
  return finish(job, out, json, outDir, json); // with --json the events were the output
}

/** `running inferring 42%`: the status, and the stage while one is reported. */
const describe = (job: Job) =>
  job.progress && job.status === "running"
    ? `${job.status} ${job.progress.stage} ${Math.round(job.progress.fraction * 100)}%`
    : job.status;

/** Save what was asked for from a final job, say how it ended; the exit code. */
async function finish(job: Job, out: string | undefined, json: boolean, outDir?: string, quiet = false) {
  if (job.status === "succeeded" && out && job.result) {
    const mask = await fetch(job.result.mask_url);
    await writeFile(out, new Uint8Array(await mask.arrayBuffer()));
  }
  const written = job.status === "succeeded" && outDir ? await saveOutputs(job, outDir) : [];
  if (!quiet)
    console.log(
      json
        ? JSON.stringify(job)
        : job.status === "succeeded"
          ? `succeeded${out ? `: mask written to ${out}` : ""}${written.map((p) => `\n  ${p}`).join("")}`
          : `${job.status}: ${job.error?.message ?? ""}`,
    );
  return job.status === "succeeded" ? 0 : 1;
}

/** The most images one batch takes (the API refuses more with too_many_items). */
const MAX_BATCH_ITEMS = 100;

interface SubmitOptions {
  mode?: string;
  quality?: string;
  outputs?: string;
  "webhook-url"?: string;
  "idempotency-key"?: string;
  deadline?: string;
  timeout: string;
  json: boolean;
}

/**
 * Submit the images of `dir` (JPEG, PNG, WebP, sorted by name) as one batch, then poll it,
 * drawing how many items have ended, until it completes. 0 when every item succeeded.
 */
async function submitBatch(
  o: { api?: string; key?: string },
  dir: string,
  v: SubmitOptions,
): Promise<number> {
  const files = (await readdir(dir)).filter((name) => TYPES[extname(name).toLowerCase()]).sort();
  if (files.length === 0)
    throw new Error(`no .jpg, .jpeg, .png, .webp, .heic, .heif or .avif files in ${dir}`);
  if (files.length > MAX_BATCH_ITEMS)
    throw new Error(`${files.length} images in ${dir}: a batch takes at most ${MAX_BATCH_ITEMS}`);
  const form = new FormData();
  for (const name of files) {
    const type = TYPES[extname(name).toLowerCase()];
    form.append("image", new Blob([await readFile(join(dir, name))], { type }), name);
  }
  appendJobOptions(form, v);
  const api = apiClient(o, apiKey(o));
  let { data: batch } = await ok(
    api.POST("/v1/batches", {
      params: {
        header: {
          "idempotency-key": v["idempotency-key"],
          "cancel-after": v.deadline ? Number(v.deadline) : undefined,
        },
      },
      body: asIs<components["schemas"]["BatchCreateForm"]>(form),
      bodySerializer: noSerializer,
    }),
  );
  const bar = new ProgressBar(batch.size, `batch ${batch.id}`);
  const deadline = Date.now() + Number(v.timeout) * 1000;
  const ended = (b: Batch) => b.counts.succeeded + b.counts.failed + b.counts.canceled;
  for (;;) {
    if (!v.json) bar.tick(ended(batch), `${batch.counts.running} running`);
    if (batch.status === "completed") break;
    if (Date.now() > deadline)
      throw new Error(
        `batch ${batch.id} still running after ${v.timeout} s (${ended(batch)}/${batch.size} ended)`,
      );
    await new Promise((r) => setTimeout(r, 1000));
    batch = (await ok(api.GET("/v1/batches/{id}", { params: { path: { id: batch.id } } }))).data;
  }
  if (v.json) console.log(JSON.stringify(batch));
  else {
    for (const item of batch.items) console.log(`${files[item.index]}\t${item.job_id}\t${item.status}`);
    const { succeeded, failed, canceled } = batch.counts;
    console.log(`batch ${batch.id}: ${succeeded} succeeded, ${failed} failed, ${canceled} canceled`);
  }
  return batch.counts.succeeded === batch.size ? 0 : 1;
}

/** The job options a submission (one image or a batch) sends as form fields, when given. */
function appendJobOptions(
  form: FormData,
  v: { mode?: string; quality?: string; outputs?: string; "webhook-url"?: string },
): void {
  if (v.mode) form.append("mode", v.mode);
  if (v.quality) form.append("quality", v.quality);
  if (v.outputs) form.append("outputs", v.outputs);
  if (v["webhook-url"]) form.append("webhook_url", v["webhook-url"]);
}

export const jobs: Command = {
  summary: "full-resolution FCN-8s jobs: submit, get, wait, watch; webhook deliveries",
  help: `Usage:
  npx fcn jobs submit <image> [--mode learned|shift-and-stitch] [--quality standard|high]
                      [--outputs mask,probabilities,rle,overlay] [--webhook-url URL] [--idempotency-key K]
                      [--deadline S] [--wait-seconds N] [--wait] [--out mask.png] [--out-dir DIR]
  npx fcn jobs submit <dir> [--mode ...] [--quality ...] [--outputs ...] [--webhook-url URL]
                      [--idempotency-key K] [--deadline S] [--timeout 600]
  npx fcn jobs get <job-id>
  npx fcn jobs wait <job-id> [--out mask.png] [--out-dir DIR] [--timeout 600]
  npx fcn jobs deliveries <job-id>
  npx fcn jobs redeliver <job-id> <delivery-id>
  npx fcn jobs watch <job-id> [--out mask.png] [--out-dir DIR] [--timeout 600]

watch follows the job's event stream (GET /v1/jobs/{id}/events) with a progress bar of its
stages (downloading, inferring, encoding, uploading); with --json it prints each event as
one line ({"event": "status"|"progress", "data": <job>}).

With a directory, its images (.jpg, .jpeg, .png, .webp, .heic, .heif, .avif; at most 100) are submitted as one
batch (POST /v1/batches), and its progress is shown until every item has ended.

--out-dir writes every output of the job as <job-id>.<output>.<png|bin|json|jpg>.

--deadline S: the job is canceled if not finished S seconds (1..86400) after submission
(Cancel-After). --wait-seconds N: the API holds the answer until the job ends, at most N
seconds (1..60, Prefer: wait=N).
deliveries lists the job's webhook attempts (id, attempt, outcome); redeliver sends the
webhook of one of them again, with the same webhook-id.
The API key comes from --key or $FCN_API_KEY.
Options:
  --key <key>          API key
${API_HELP}`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...COMMON_OPTIONS,
        mode: { type: "string" },
        quality: { type: "string" },
        outputs: { type: "string" },
        "webhook-url": { type: "string" },
        "idempotency-key": { type: "string" },
        deadline: { type: "string" },
        "wait-seconds": { type: "string" },
        wait: { type: "boolean", default: false },
        out: { type: "string" },
        "out-dir": { type: "string" },
        timeout: { type: "string", default: "600" },
      },
    });
    const [action, target, deliveryId] = positionals;
    const o = { api: values.api, key: values.key };
    if (action === "submit" && target && (await stat(target)).isDirectory()) {
      return submitBatch(o, target, values);
    }
    if (action === "submit" && target) {
      const form = new FormData();
      const type = TYPES[extname(target).toLowerCase()] ?? "application/octet-stream";
      form.append("image", new Blob([await readFile(target)], { type }), basename(target));
      appendJobOptions(form, values);
      const api = apiClient(o, apiKey(o));
      const { data: job } = await ok(
        api.POST("/v1/jobs", {
          params: {
            header: {
              "idempotency-key": values["idempotency-key"],
              prefer: values["wait-seconds"] ? `wait=${values["wait-seconds"]}` : undefined,
              "cancel-after": values.deadline ? Number(values.deadline) : undefined,
            },
          },
          // The form as built here: openapi-fetch sends FormData as it is (with its boundary).
          body: asIs<components["schemas"]["JobCreateForm"]>(form),
          bodySerializer: noSerializer,
        }),
      );
      if (!values.wait) {
        console.log(values.json ? JSON.stringify(job) : `submitted ${job.id} (${job.status})`);
        return 0;
      }
      return wait(o, job.id, values.out, Number(values.timeout), values.json, values["out-dir"]);
    }
    if (action === "get" && target) {
      console.log(JSON.stringify(await getJob(o, target), null, values.json ? 0 : 2));
      return 0;
    }
    if (action === "watch" && target) {
      return watch(o, target, values.out, Number(values.timeout), values.json, values["out-dir"]);
    }
    if (action === "wait" && target) {
      return wait(o, target, values.out, Number(values.timeout), values.json, values["out-dir"]);
    }
    if (action === "deliveries" && target) {
      const api = apiClient(o, apiKey(o));
      const { data } = await ok(api.GET("/v1/jobs/{id}/deliveries", { params: { path: { id: target } } }));
      if (values.json) console.log(JSON.stringify(data));
      for (const d of values.json ? [] : data.data) {
        const answer = d.status_code ?? d.error ?? "";
        console.log(`${d.id}\t${d.event}\tattempt ${d.attempt}\t${d.outcome}\t${answer}\t${d.created_at}`);
      }
      return 0;
    }
    if (action === "redeliver" && target && deliveryId) {
      const api = apiClient(o, apiKey(o));
      const { data } = await ok(
        api.POST("/v1/jobs/{id}/deliveries/{delivery_id}/redeliver", {
          params: { path: { id: target, delivery_id: deliveryId } },
        }),
      );
      console.log(
        values.json
          ? JSON.stringify(data)
          : `queued ${data.event} again as ${data.webhook_id} (attempt ${data.first_attempt})`,
      );
      return 0;
    }
    throw new Error("usage: npx fcn jobs submit|get|wait|watch|deliveries|redeliver ... (see --help)");
  },
};
