// The demo page: an instant edge preview (POST /v1/preview), then a full-resolution FCN-8s job
// (POST /v1/jobs, followed through its event stream GET /v1/jobs/:id/events). Plain ES module, no build step; the API calls
// live in api.js (openapi-fetch, type-checked against the generated contract).

import { ApiError, apiError, demoKey, followJob, models, postJob, preview } from "./api.js";

const KEY_STORAGE = "fcn-demo.api-key";
/** Before following the event stream again when the server ended it early (it caps a stream's life). */
const RECONNECT_MS = 1000;
const GIVE_UP_MS = 10 * 60 * 1000;

const $ = (id) => document.getElementById(id);
const el = {
  fileInput: $("file-input"),
  dropzone: $("dropzone"),
  error: $("error"),
  results: $("results"),
  opacity: $("opacity"),
  opacityValue: $("opacity-value"),
  photo: $("photo"),
  previewMask: $("preview-mask"),
  previewBusy: $("preview-busy"),
  previewModel: $("preview-model"),
  previewLatency: $("preview-latency"),
  legend: $("legend"),
  jobMode: $("job-mode"),
  apiKeyField: $("api-key-field"),
  apiKey: $("api-key"),
  runJob: $("run-job"),
  jobProgressBlock: $("job-progress-block"),
  jobProgress: $("job-progress"),
  jobStatus: $("job-status"),
  jobStack: $("job-stack"),
  jobPhoto: $("job-photo"),
  jobMask: $("job-mask"),
  jobModel: $("job-model"),
  jobLatency: $("job-latency"),
  jobLegend: $("job-legend"),
};

/** A job that ended without a result (`failed` or `canceled`). */
class JobFailed extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function describe(error) {
  if (error instanceof JobFailed) return `The job ${error.status}: ${error.message} (${error.code})`;
  if (error instanceof ApiError) return `${error.message} (${error.code}, HTTP ${error.status})`;
  return error?.message ?? String(error);
}

function showError(error) {
  if (!error) {
    el.error.hidden = true;
    el.error.textContent = "";
    delete el.error.dataset.code;
    return;
  }
  el.error.textContent = describe(error);
  el.error.dataset.code = error.code ?? "client_error";
  el.error.hidden = false;
}

// ---- state ----

/** The current image (a File or Blob), its object URL, and a generation counter so late answers for an
 * image that is no longer shown are dropped. */
const state = { image: null, imageUrl: null, generation: 0, jobTimer: null, jobStream: null };

/** Class names and colours, from GET /v1/models (the preview model's, which the full model shares). */
const classesPromise = models()
  .then((body) => body.models?.[0]?.classes ?? [])
  .catch((error) => {
    console.warn(error);
    return [];
  });

// ---- legend ----

function pct(fraction) {
  const p = fraction * 100;
  return p > 0 && p < 0.1 ? "<0.1%" : `${p.toFixed(1)}%`;
}

function renderLegend(list, classes, fractions) {
  const rows = classes.map((cls, id) => ({ id, ...cls, fraction: fractions[id] ?? 0 }));
  rows.sort((a, b) => b.fraction - a.fraction || a.id - b.id);
  list.replaceChildren(
    ...rows.map((row) => {
      const li = document.createElement("li");
      li.dataset.class = row.name;
      li.dataset.fraction = String(row.fraction);
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.setAttribute("aria-hidden", "true");
      swatch.style.background = `rgb(${row.color.join(" ")})`;
      const name = document.createElement("span");
      name.textContent = row.name;
      const share = document.createElement("span");
      share.className = "share";
      share.textContent = pct(row.fraction);
      li.append(swatch, name, share);
      return li;
    }),
  );
}

/** Per-class share of a palette mask, counted from its pixels (the browser applies the palette). */
function maskFractions(img, classes) {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(img, 0, 0);
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const byColor = new Map(
    classes.map((cls, id) => [(cls.color[0] << 16) | (cls.color[1] << 8) | cls.color[2], id]),
  );
  const counts = new Array(classes.length).fill(0);
  const nearest = (r, g, b) => {
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    classes.forEach((cls, id) => {
      const d = (cls.color[0] - r) ** 2 + (cls.color[1] - g) ** 2 + (cls.color[2] - b) ** 2;
      if (d < bestDistance) [best, bestDistance] = [id, d];
    });
    return best;
  };
  for (let i = 0; i < data.length; i += 4) {
    const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    let id = byColor.get(key);
    if (id === undefined) {
      id = nearest(data[i], data[i + 1], data[i + 2]);
      byColor.set(key, id);
    }
    counts[id]++;
  }
  const total = canvas.width * canvas.height || 1;
  return counts.map((n) => n / total);
}

// ---- timings ----

/** `read;dur=1.0, inference;dur=180.2` -> { read: 1, inference: 180.2 } */
function parseServerTiming(header) {
  const out = {};
  for (const entry of (header ?? "").split(",")) {
    const [name, ...params] = entry.trim().split(";");
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith("dur="));
    if (name && dur) out[name] = Number(dur.slice(4));
  }
  return out;
}

const ms = (v) => `${Math.round(v)} ms`;
const seconds = (v) => `${(v / 1000).toFixed(1)} s`;

function loadImage(img, src) {
  return new Promise((resolve, reject) => {
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("the image could not be displayed"));
    img.src = src;
  });
}

// ---- preview ----

async function choose(image) {
  state.generation++;
  const generation = state.generation;
  stopJob();
  resetJob();
  showError(null);
  state.image = image;
  if (state.imageUrl) URL.revokeObjectURL(state.imageUrl);
  state.imageUrl = URL.createObjectURL(image);
  const previous = el.previewMask.getAttribute("src");
  el.previewMask.removeAttribute("src");
  if (previous) URL.revokeObjectURL(previous);
  el.legend.replaceChildren();
  el.previewLatency.textContent = "";
  delete el.previewLatency.dataset.roundTripMs;
  el.results.hidden = false;
  el.previewBusy.hidden = false;
  el.runJob.disabled = true;

  try {
    await loadImage(el.photo, state.imageUrl);
  } catch {
    // the browser cannot show it (say, an unsupported format): the API's answer says why
  }

  try {
    const t0 = performance.now();
    const { data: png, response } = await preview(image);
    const roundTrip = performance.now() - t0;
    if (generation !== state.generation) return;

    const timing = parseServerTiming(response.headers.get("Server-Timing"));
    const model = response.headers.get("X-Model") ?? "";
    await loadImage(el.previewMask, URL.createObjectURL(png));
    if (generation !== state.generation) return;

    el.previewModel.textContent = model;
    el.previewLatency.dataset.roundTripMs = String(Math.round(roundTrip));
    el.previewLatency.dataset.inferenceMs = String(timing.inference ?? "");
    const server = Object.entries(timing)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(", ");
    el.previewLatency.textContent =
      `Round trip ${ms(roundTrip)} · model inference ${timing.inference !== undefined ? ms(timing.inference) : "n/a"}` +
      (server ? ` (server ms: ${server})` : "") +
      ` · mask ${el.previewMask.naturalWidth}×${el.previewMask.naturalHeight}`;

    const classes = await classesPromise;
    renderLegend(el.legend, classes, maskFractions(el.previewMask, classes));
    el.runJob.disabled = false;
  } catch (error) {
    if (generation !== state.generation) return;
    showError(error);
  } finally {
    if (generation === state.generation) el.previewBusy.hidden = true;
  }
}

el.fileInput.addEventListener("change", () => {
  const file = el.fileInput.files?.[0];
  if (file) {
    markSample(null);
    choose(file);
  }
});

for (const button of document.querySelectorAll(".sample")) {
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", async () => {
    markSample(button);
    showError(null);
    try {
      const response = await fetch(button.dataset.src);
      if (!response.ok) throw new Error(`sample not found (HTTP ${response.status})`);
      const blob = await response.blob();
      el.fileInput.value = "";
      choose(blob);
    } catch (error) {
      showError(error);
    }
  });
}

function markSample(active) {
  for (const button of document.querySelectorAll(".sample")) {
    button.setAttribute("aria-pressed", String(button === active));
  }
}

for (const type of ["dragenter", "dragover"]) {
  el.dropzone.addEventListener(type, (event) => {
    event.preventDefault();
    el.dropzone.classList.add("dragging");
  });
}
for (const type of ["dragleave", "drop"]) {
  el.dropzone.addEventListener(type, () => el.dropzone.classList.remove("dragging"));
}
el.dropzone.addEventListener("drop", (event) => {
  event.preventDefault();
  const file = event.dataTransfer?.files?.[0];
  if (file) {
    markSample(null);
    choose(file);
  }
});

function setOpacity() {
  const value = Number(el.opacity.value);
  el.results.style.setProperty("--mask-opacity", String(value / 100));
  el.opacityValue.textContent = `${value}%`;
}
el.opacity.addEventListener("input", setOpacity);
setOpacity();

// ---- full-resolution job ----

function storedKey() {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

function storeKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled: the key lives for this page only
  }
}

/** An API key: the one typed in, else the remembered one, else the development demo key. */
async function apiKey({ fresh = false } = {}) {
  const typed = el.apiKey.value.trim();
  if (!el.apiKeyField.hidden && typed) {
    storeKey(typed);
    return typed;
  }
  if (!fresh) {
    const stored = storedKey();
    if (stored) return stored;
  }
  const { data, error, response } = await demoKey();
  if (response.ok) {
    const { key } = data;
    storeKey(key);
    return key;
  }
  if (response.status === 404) {
    el.apiKeyField.hidden = false;
    el.apiKey.focus();
    throw new ApiError(401, "api_key_required", "Enter an API key to run full-resolution jobs");
  }
  throw apiError(response, error);
}

async function submitJob(image, mode) {
  const send = async (key) => {
    const form = new FormData();
    form.append("image", image, image.name ?? "image");
    form.append("mode", mode);
    return postJob(form, key);
  };
  let key = await apiKey();
  let answer = await send(key);
  if (answer.response.status === 401 && el.apiKeyField.hidden) {
    // a remembered key that no longer works (say, a reset local database): fetch a fresh one
    storeKey(null);
    key = await apiKey({ fresh: true });
    answer = await send(key);
  }
  if (answer.response.status === 401) {
    storeKey(null);
    el.apiKeyField.hidden = false;
  }
  if (!answer.response.ok) throw apiError(answer.response, answer.error);
  return { job: answer.data, key };
}

function resetJob() {
  el.jobProgressBlock.hidden = true;
  el.jobStatus.textContent = "";
  el.jobStatus.dataset.state = "idle";
  delete el.jobStatus.dataset.code;
  el.jobStack.hidden = true;
  el.jobMask.removeAttribute("src");
  el.jobLatency.textContent = "";
  el.jobLegend.replaceChildren();
  el.jobModel.textContent = "FCN-8s";
  el.runJob.disabled = !state.image;
}

function stopJob() {
  clearInterval(state.jobTimer);
  state.jobStream?.abort(); // closes the event stream: the server stops reading the job
  state.jobTimer = null;
  state.jobStream = null;
}

/**
 * The bar has three steps (queued, running, done); while running it moves through the second
 * by the job's reported progress (`progress.fraction` of the whole job).
 */
function showProgress(status, progress = null) {
  const step = status === "succeeded" ? 3 : status === "running" ? 2 : status === "queued" ? 1 : null;
  if (step === null) el.jobProgress.removeAttribute("value");
  else el.jobProgress.value = step === 2 && progress ? 1 + progress.fraction : step;
  el.jobProgress.setAttribute(
    "aria-valuetext",
    progress && step === 2 ? `${status}: ${stageText(progress)}` : status,
  );
  el.jobProgressBlock.querySelectorAll(".steps li").forEach((li, i) => {
    li.classList.toggle("done", step !== null && i < step - (step === 3 ? 0 : 1));
    li.classList.toggle("active", step !== null && step < 3 && i === step - 1);
  });
}

function setJobStatus(stateName, text) {
  el.jobStatus.dataset.state = stateName;
  el.jobStatus.textContent = text;
}

/** Timestamps arrive as ISO strings or epoch numbers (seconds or milliseconds). */
function toMs(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value < 1e12 ? value * 1000 : value;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

async function runJob() {
  if (!state.image) return;
  stopJob();
  resetJob();
  const generation = state.generation;
  const started = performance.now();
  let status = "submitting";
  const elapsed = () => seconds(performance.now() - started);
  const label = { submitting: "Uploading", queued: "Queued", running: "Running FCN-8s" };
  let progress = null;
  const tick = () =>
    setJobStatus(
      status,
      `${label[status] ?? status}${status === "running" && progress ? ` (${stageText(progress)})` : ""}… ${elapsed()}`,
    );

  el.runJob.disabled = true;
  el.jobProgressBlock.hidden = false;
  showProgress(null);
  tick();
  state.jobTimer = setInterval(tick, 250);

  const fail = (error) => {
    if (generation !== state.generation) return;
    stopJob();
    showProgress("failed");
    el.jobProgress.value = 0;
    setJobStatus(error instanceof JobFailed ? "failed" : "error", describe(error));
    el.jobStatus.dataset.code = error.code ?? "client_error";
    el.runJob.disabled = false;
  };

  let job;
  let key;
  try {
    ({ job, key } = await submitJob(state.image, el.jobMode.value));
  } catch (error) {
    fail(error);
    return;
  }
  if (generation !== state.generation) return;

  const stream = new AbortController();
  state.jobStream = stream;
  const show = (next) => {
    if (generation !== state.generation) return;
    job = next;
    status = job.status;
    progress = job.progress ?? null;
    if (status === "queued" || status === "running") showProgress(status, progress);
    tick();
  };
  const follow = async () => {
    show(job);
    while (status === "queued" || status === "running") {
      if (performance.now() - started > GIVE_UP_MS) {
        fail(
          new Error(
            `The job is still ${status} after ${seconds(GIVE_UP_MS)}; is the GPU tier running? (${job.id})`,
          ),
        );
        return;
      }
      try {
        await followJob(job.id, key, show, stream.signal);
      } catch (error) {
        if (!stream.signal.aborted) fail(error);
        return;
      }
      if (generation !== state.generation) return;
      if (status === "queued" || status === "running")
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
    if (status === "succeeded") {
      // Stop the ticking first: while the mask loads it would show "succeeded…" as the status.
      stopJob();
      try {
        await showJobResult(job, performance.now() - started);
      } catch (error) {
        fail(error);
      }
      return;
    }
    fail(new JobFailed(status, job.error?.code ?? status, job.error?.message || "no reason given"));
  };
  follow();
}

/** `inferring 42%`: a running job's stage and the share of the whole job done. */
const stageText = (progress) => `${progress.stage} ${Math.round(progress.fraction * 100)}%`;

async function showJobResult(job, roundTrip) {
  const generation = state.generation;
  const result = job.result;
  el.jobPhoto.src = state.imageUrl;
  el.jobStack.hidden = false;
  await loadImage(el.jobMask, result.mask_url);
  if (generation !== state.generation) return;
  stopJob();
  showProgress("succeeded");
  setJobStatus("succeeded", `Done in ${seconds(roundTrip)}`);
  el.runJob.disabled = false;
  if (result.model) el.jobModel.textContent = result.model;

  const created = toMs(job.created_at);
  const startedAt = toMs(job.started_at);
  const finished = toMs(job.finished_at);
  const parts = [`Total ${seconds(roundTrip)}`];
  if (created !== null && startedAt !== null) parts.push(`queued ${seconds(startedAt - created)}`);
  if (startedAt !== null && finished !== null) parts.push(`GPU tier ${seconds(finished - startedAt)}`);
  const inference = result.timings_ms?.inference;
  if (typeof inference === "number") parts.push(`model inference ${ms(inference)}`);
  if (result.provider) parts.push(`on ${result.provider}`);
  parts.push(`mask ${el.jobMask.naturalWidth}×${el.jobMask.naturalHeight}`);
  el.jobLatency.textContent = parts.join(" · ");
  el.jobLatency.dataset.totalMs = String(Math.round(roundTrip));

  const classes = await classesPromise;
  const fractions = Array.isArray(result.class_fractions)
    ? result.class_fractions
    : maskFractions(el.jobMask, classes);
  renderLegend(el.jobLegend, classes, fractions);
}

el.runJob.addEventListener("click", runJob);
el.apiKey.addEventListener("keydown", (event) => {
  if (event.key === "Enter") runJob();
});
resetJob();
