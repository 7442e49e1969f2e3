/**
 * Test harness for the end-to-end reliability suites: the whole system on free loopback
 * ports, either through `node scripts/start.ts` (exactly what `npm start` runs) or as separate
 * processes the test can kill one by one (fauxqs in this process, `wrangler dev`, and
 * `node gpu-service/main.ts`), plus an API client, a Standard Webhooks receiver and helpers.
 *
 * Every process runs in its own process group (detached) and is stopped by its own pid.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import { ensureDevVars } from "../../scripts/dev-vars.ts";
import { type LocalQueue, startLocalQueue } from "../../scripts/local-queue.ts";
import { freePort } from "../fixtures/system.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const ARTIFACTS = path.join(ROOT, "test/artifacts");
const BIN = path.join(ROOT, "node_modules/.bin");
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { freePort };

export interface Proc {
  name: string;
  child: ChildProcess;
  log: string[];
}

/** Every process group started here, killed if this process exits without stopping them. */
const groups = new Set<number>();
process.once("exit", () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
});

/** Spawn in a new process group (so the whole tree can be signalled), keeping the output. */
export function launch(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const log: string[] = [];
  const child = spawn(args[0], args.slice(1), {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PATH: `${BIN}:${process.env.PATH}`,
      WRANGLER_SEND_METRICS: "false",
      CI: "1",
      ...env,
    },
  });
  for (const stream of [child.stdout, child.stderr])
    stream?.on("data", (b: Buffer) => log.push(b.toString()));
  if (child.pid) groups.add(child.pid);
  return { name, child, log };
}

export const alive = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

function signalGroup(p: Proc, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.child.pid!, signal);
  } catch {
    // the group is gone already
  }
}

/** How often `wrangler dev` logged that it reloads (a source file changed). */
export const reloadCount = (p: Proc) => p.log.join("").split("Reloading local server").length - 1;

/** SIGKILL the process group at once (a crash), and wait for the leader to go. */
export async function killGroup(p: Proc): Promise<void> {
  if (!p.child.pid || !groups.has(p.child.pid)) return;
  const exited = alive(p) ? new Promise((r) => p.child.once("exit", r)) : Promise.resolve();
  signalGroup(p, "SIGKILL");
  await exited;
  groups.delete(p.child.pid!);
}

/** SIGTERM the group, SIGKILL what is left after `graceMs`. */
export async function stopGroup(p: Proc | undefined, graceMs = 8000): Promise<void> {
  // a group already stopped is never signalled again: its pid may belong to someone else now
  if (!p?.child.pid || !groups.has(p.child.pid)) return;
  if (alive(p)) {
    const exited = new Promise<boolean>((r) => p.child.once("exit", () => r(true)));
    signalGroup(p, "SIGTERM");
    const timeout = sleep(graceMs).then(() => false);
    if (!(await Promise.race([exited, timeout]))) signalGroup(p, "SIGKILL");
  }
  // children that outlived their leader still share its group
  await sleep(200);
  signalGroup(p, "SIGKILL");
  groups.delete(p.child.pid);
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${ms / 1000} s waiting for ${what}${last ? ` (last error: ${last})` : ""}`,
  );
}

async function ok(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3000) })).ok;
  } catch {
    return false;
  }
}

/** The development secrets (.dev.vars, generated once as `npm start` does). */
export const devSecrets = (): Record<string, string> => ensureDevVars(ROOT).vars;

// ---- the API ----

export interface ApiKey {
  id: string;
  key: string;
  webhook_secret: string;
}

export interface JobJson {
  id: string;
  status: string;
  attempts: number;
  error: { code: string; message: string } | null;
  result: null | {
    mask_url: string;
    probabilities_url?: string;
    width: number;
    height: number;
    class_fractions: number[];
  };
  [field: string]: unknown;
}

export interface Delivery {
  webhook_id: string;
  event: string;
  attempt: number;
  outcome: string;
  status_code: number | null;
  error: string | null;
}

export class Api {
  readonly base: string;
  readonly secrets: Record<string, string>;
  /** how many times `wrangler dev` has reloaded (it rebuilds when a source file changes) */
  readonly reloads: () => number;
  constructor(base: string, secrets: Record<string, string>, reloads: () => number = () => 0) {
    this.base = base;
    this.secrets = secrets;
    this.reloads = reloads;
  }

  /**
   * fetch against the Worker. `wrangler dev` watches the sources and answers 503 to requests
   * in flight while it reloads (someone edited a file): such a request is sent again once,
   * unless its body was a stream. Nothing else is retried.
   */
  async fetch(pathname: string, init: RequestInit = {}): Promise<Response> {
    const send = () => fetch(`${this.base}${pathname}`, { signal: AbortSignal.timeout(60_000), ...init });
    const before = this.reloads();
    const response = await send();
    if (response.status !== 503 || init.body instanceof ReadableStream) return response;
    await sleep(500); // the reload's log line may trail the answer
    if (this.reloads() === before) return response;
    await response.body?.cancel();
    console.warn(`[reliability] ${pathname}: 503 during a wrangler dev reload; sending it again`);
    await sleep(3000);
    return send();
  }

  /**
   * POST `bytes` as a chunked body (no Content-Length) in 64 KiB writes, and answer with the
   * Worker's response as soon as it comes, even while the body is still being sent. fetch
   * cannot do that: when the Worker answers 413 and closes the connection mid-upload, undici
   * fails the whole fetch ("other side closed") although the answer arrived. Write errors
   * after the answer (EPIPE, a reset) are the expected end of such an upload.
   */
  postChunked(pathname: string, headers: Record<string, string>, bytes: Uint8Array): Promise<Response> {
    const url = new URL(pathname, this.base);
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = request(url, { method: "POST", headers, timeout: 60_000 }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("error", () => {}); // the connection closing after the answer was read
        res.on("close", () =>
          resolve(
            new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), {
              status: res.statusCode,
              headers: Object.entries(res.headers).flatMap(([k, v]) =>
                (Array.isArray(v) ? v : [v ?? ""]).map((one) => [k, one] as [string, string]),
              ),
            }),
          ),
        );
      });
      req.on("error", (error) => {
        if (!answered) reject(error);
      });
      req.on("timeout", () => req.destroy(new Error(`${pathname}: no answer in 60 s`)));
      let at = 0;
      const write = () => {
        while (!answered && at < bytes.length) {
          const chunk = bytes.subarray(at, at + 65536);
          at += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", write);
        }
        req.end();
      };
      write();
    });
  }

  async newKey(name: string): Promise<ApiKey> {
    const r = await this.fetch("/v1/admin/keys", {
      method: "POST",
      headers: { authorization: `Bearer ${this.secrets.ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    if (r.status !== 201) throw new Error(`key creation answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as ApiKey;
  }

  submit(
    key: string,
    image: Uint8Array,
    fields: Record<string, string> = {},
    headers: Record<string, string> = {},
    type = "image/jpeg",
  ): Promise<Response> {
    const form = new FormData();
    form.append("image", new Blob([image as Uint8Array<ArrayBuffer>], { type }), "input");
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    return this.fetch("/v1/jobs", {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${key}`, ...headers },
    });
  }

  async submitOk(
    key: string,
    image: Uint8Array,
    fields: Record<string, string> = {},
    type?: string,
  ): Promise<JobJson> {
    const r = await this.submit(key, image, fields, {}, type);
    if (r.status !== 202) throw new Error(`submit answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as JobJson;
  }

  async job(key: string, id: string): Promise<JobJson> {
    const r = await this.fetch(`/v1/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } });
    if (!r.ok) throw new Error(`GET job answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as JobJson;
  }

  async deliveries(key: string, id: string): Promise<Delivery[]> {
    const r = await this.fetch(`/v1/jobs/${id}/deliveries`, { headers: { authorization: `Bearer ${key}` } });
    if (!r.ok) throw new Error(`GET deliveries answered ${r.status}`);
    return ((await r.json()) as { data: Delivery[] }).data;
  }

  /** Waits for the job to reach a final state and returns it. */
  waitFinal(key: string, id: string, ms = 90_000): Promise<JobJson> {
    return waitFor(
      `job ${id} to finish`,
      async () => {
        const job = await this.job(key, id);
        return ["succeeded", "failed", "canceled"].includes(job.status) ? job : undefined;
      },
      ms,
      300,
    );
  }

  /** A preview of `image`; resolves to the response. */
  preview(image: Uint8Array, type = "image/png"): Promise<Response> {
    return this.fetch("/v1/preview", {
      method: "POST",
      body: image as Uint8Array<ArrayBuffer>,
      headers: { "content-type": type },
    });
  }
}

/** Width and height from a PNG's IHDR. */
export function pngSize(bytes: Uint8Array): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

// ---- the whole system through scripts/start.ts ----

export interface WholeSystem {
  api: Api;
  gpuUrl: string;
  proc: Proc;
  stop(): Promise<void>;
}

/**
 * `node scripts/start.ts` on free ports and a private state folder (`env` over its defaults);
 * `command` runs it another way (`npm start`).
 */
export async function startWholeSystem(
  timeoutMs = 150_000,
  env: Record<string, string> = {},
  command: string[] = [process.execPath, "scripts/start.ts"],
): Promise<WholeSystem> {
  const port = await freePort();
  const gpuPort = await freePort();
  const state = await mkdtemp(path.join(tmpdir(), "fcn-rel-state-"));
  const proc = launch("start", command, {
    PORT: String(port),
    SQS_PORT: String(await freePort()),
    GPU_SERVICE_PORT: String(gpuPort),
    FCN_STATE_DIR: state,
    WAIT_TIME_SECONDS: "1",
    LOG_LEVEL: "warn",
    // the corpus sends hundreds of previews from one address: lift their rate limit
    PREVIEW_RATE_LIMIT: "off",
    ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopGroup(proc);
    await rm(state, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `${command.join(" ")} to be ready`,
      async () => {
        if (!alive(proc)) throw new Error(`${command.join(" ")} exited`);
        return proc.log.join("").includes("is running locally") && (await ok(`${base}/v1/health`));
      },
      timeoutMs,
      500,
    );
  } catch (error) {
    await stop();
    throw new Error(`${error}\n${proc.log.join("").slice(-4000)}`);
  }
  return {
    api: new Api(base, devSecrets(), () => reloadCount(proc)),
    gpuUrl: `http://127.0.0.1:${gpuPort}`,
    proc,
    stop,
  };
}

// ---- the system as separate processes ----

export interface PartsOptions {
  /** environment of the GPU service, over the defaults below */
  gpuEnv?: Record<string, string>;
  /** the queue's maxReceiveCount */
  maxReceiveCount?: number;
  /** extra `--var NAME:value` for the Worker */
  workerVars?: Record<string, string>;
  /** `--test-scheduled`: GET /__scheduled runs the cron sweep */
  testScheduled?: boolean;
  /** start the GPU service too (default true) */
  gpu?: boolean;
}

/**
 * fauxqs in this process, `wrangler dev` and `node gpu-service/main.ts` as killable
 * processes, with short visibility and heartbeat times so redelivery happens in seconds.
 */
export class PartsSystem {
  readonly options: PartsOptions;
  readonly secrets = devSecrets();
  queue!: LocalQueue;
  state!: string;
  port!: number;
  gpuPort!: number;
  worker: Proc | undefined;
  gpu: Proc | undefined;
  api!: Api;
  /** every process started, for the log artifact */
  readonly procs: Proc[] = [];

  constructor(options: PartsOptions = {}) {
    this.options = options;
  }

  static async start(options: PartsOptions = {}): Promise<PartsSystem> {
    const system = new PartsSystem(options);
    try {
      await system.boot();
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  get gpuUrl(): string {
    return `http://127.0.0.1:${this.gpuPort}`;
  }

  private async boot(): Promise<void> {
    this.queue = await startLocalQueue({ port: 0, maxReceiveCount: this.options.maxReceiveCount ?? 20 });
    this.state = await mkdtemp(path.join(tmpdir(), "fcn-rel-parts-"));
    this.port = await freePort();
    this.gpuPort = await freePort();
    this.api = new Api(`http://127.0.0.1:${this.port}`, this.secrets, () =>
      this.procs.filter((p) => p.name === "worker").reduce((n, p) => n + reloadCount(p), 0),
    );
    const migrate = spawnSync(
      process.execPath,
      [WRANGLER, "d1", "migrations", "apply", "fcn-jobs", "--local", "--persist-to", this.state],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" } },
    );
    if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
    await Promise.all([this.startWorker(), this.options.gpu === false ? undefined : this.startGpu()]);
  }

  /** Stop the local SQS (an outage: sends and receives fail; its messages are lost). */
  async stopQueue(): Promise<void> {
    await this.queue.stop();
  }

  /** Start the local SQS again on the same port, so its URLs stay valid. */
  async startQueue(): Promise<void> {
    this.queue = await startLocalQueue({
      port: this.queue.port,
      maxReceiveCount: this.options.maxReceiveCount ?? 20,
    });
  }

  /** Runs the Worker's cron handler (the sweep) once; needs `testScheduled`. */
  async runSweep(): Promise<void> {
    const r = await fetch(`${this.api.base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    if (!r.ok) throw new Error(`/__scheduled answered ${r.status}`);
    await r.body?.cancel();
  }

  /** `wrangler dev` on this system's port and state folder; resolves once /v1/health answers. */
  async startWorker(timeoutMs = 120_000): Promise<void> {
    const vars: Record<string, string> = {
      ...this.secrets,
      // wrangler.toml defaults to production: a local system asks for development explicitly
      ENVIRONMENT: "development",
      PUBLIC_BASE_URL: this.api.base,
      SQS_QUEUE_URL: this.queue.queueUrl,
      PREVIEW_RATE_LIMIT: "off", // load and fault suites send previews from one address
      ...this.options.workerVars,
    };
    const args = [
      process.execPath,
      WRANGLER,
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(this.port),
      "--persist-to",
      this.state,
      "--show-interactive-dev-session=false",
    ];
    if (this.options.testScheduled) args.push("--test-scheduled");
    for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
    const proc = launch("worker", args);
    this.worker = proc;
    this.procs.push(proc);
    await waitFor(
      "wrangler dev to answer /v1/health",
      async () => {
        if (!alive(proc)) throw new Error(`wrangler dev exited:\n${proc.log.join("").slice(-3000)}`);
        return ok(`${this.api.base}/v1/health`);
      },
      timeoutMs,
      300,
    );
  }

  /** `node gpu-service/main.ts`; resolves once /healthz answers 200. */
  async startGpu(timeoutMs = 90_000): Promise<void> {
    const proc = launch("gpu", [process.execPath, "gpu-service/main.ts"], {
      QUEUE_URL: this.queue.queueUrl,
      SQS_ENDPOINT: this.queue.endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      CALLBACK_SECRET: this.secrets.CALLBACK_SECRET,
      PORT: String(this.gpuPort),
      HOST: "127.0.0.1",
      PROVIDER: "cpu",
      ORT_THREADS: "1",
      VISIBILITY_TIMEOUT_SECONDS: "5",
      HEARTBEAT_SECONDS: "2",
      WAIT_TIME_SECONDS: "1",
      RETRY_BACKOFF_SECONDS: "1",
      MAX_RECEIVES: String(this.options.maxReceiveCount ?? 20),
      HTTP_TIMEOUT_SECONDS: "15",
      SHUTDOWN_GRACE_SECONDS: "2",
      LOG_LEVEL: "info",
      ...this.options.gpuEnv,
    });
    this.gpu = proc;
    this.procs.push(proc);
    await waitFor(
      "the GPU service's /healthz",
      async () => {
        if (!alive(proc)) throw new Error(`the GPU service exited:\n${proc.log.join("").slice(-3000)}`);
        return ok(`${this.gpuUrl}/healthz`);
      },
      timeoutMs,
      300,
    );
  }

  /** The GPU service's structured log lines so far. */
  gpuLog(proc = this.gpu): Record<string, unknown>[] {
    return (proc?.log.join("") ?? "")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  allLogs(): string {
    return this.procs.map((p) => `==== ${p.name} (pid ${p.child.pid})\n${p.log.join("")}`).join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => stopGroup(p, 5000)));
    await this.queue?.stop().catch(() => {});
    if (this.state) await rm(this.state, { recursive: true, force: true });
  }
}

// ---- a Standard Webhooks receiver ----

export interface ReceivedWebhook {
  id: string;
  type: string;
  data: { id: string; status: string };
  verified: boolean;
  answered: number;
}

/**
 * A webhook receiver on 127.0.0.1 that checks every signature with the `standardwebhooks`
 * package and answers the statuses queued in `plan` (then 200).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** status codes for the next requests, in order; 200 once empty */
  plan: number[] = [];
  private server!: Server;
  private secrets: string[] = [];
  url = "";

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const answered = receiver.plan.shift() ?? 200;
        receiver.received.push({ ...receiver.verify(body, req.headers), answered });
        res.writeHead(answered, { "content-type": "text/plain" }).end(answered < 300 ? "ok" : "down");
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as { port: number }).port}/hook`;
    return receiver;
  }

  /** Accept signatures made with this key's webhook secret. */
  trust(secret: string): void {
    this.secrets.push(secret);
  }

  private verify(body: string, headers: IncomingHttpHeaders): Omit<ReceivedWebhook, "answered"> {
    const flat = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
    for (const secret of this.secrets) {
      try {
        const event = new Webhook(secret).verify(body, flat) as {
          type: string;
          data: { id: string; status: string };
        };
        return { id: flat["webhook-id"], type: event.type, data: event.data, verified: true };
      } catch {
        // try the next secret
      }
    }
    const parsed = JSON.parse(body) as { type: string; data: { id: string; status: string } };
    return { id: flat["webhook-id"], type: parsed.type, data: parsed.data, verified: false };
  }

  forJob(jobId: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.data?.id === jobId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
