/**
 * `npm start`: the whole system on one machine, on embedded defaults.
 *   - a local SQS-compatible queue (fauxqs) on 127.0.0.1:9324 with its dead-letter queue
 *   - the GPU service on CPU, consuming that queue (metrics on 127.0.0.1:8080)
 *   - the Worker under `wrangler dev` (local R2, D1 and Queues) on http://127.0.0.1:$PORT (8787),
 *     with its cron handler run every minute as in production
 * Development secrets are generated once into .dev.vars (git-ignored). Ctrl-C stops everything,
 * as does SIGTERM to this process or to the `npm start` above it.
 *
 * Supervision: if any part exits, for any reason (an exit code or a signal), everything else is
 * stopped and this process exits non-zero: nothing restarts silently, and a half-running system
 * never pretends to be whole. Each child runs in its own process group, so stopping it also
 * stops what it started (wrangler's workerd), even after the child itself died.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { ensureDevVars } from "./dev-vars.ts";
import { intSetting, portSetting, SettingError } from "./start-settings.ts";

function settings(env: NodeJS.ProcessEnv) {
  try {
    return {
      PORT: portSetting(env, "PORT", 8787),
      SQS_PORT: portSetting(env, "SQS_PORT", 9324),
      GPU_PORT: portSetting(env, "GPU_SERVICE_PORT", 8080),
      /** Production runs the cron every minute (wrangler.toml); tests may ask for a shorter period. */
      CRON_SECONDS: intSetting(env, "CRON_INTERVAL_SECONDS", 60, 1, 86_400),
    };
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    console.error(`[start] ${error.message}`);
    process.exit(2);
  }
}
const { PORT, SQS_PORT, GPU_PORT, CRON_SECONDS } = settings(process.env);
const HOST = "127.0.0.1";
const STATE = process.env.FCN_STATE_DIR ?? ".wrangler/state";
/**
 * How long a part may take to stop after SIGTERM before it is killed: short, so a supervisor
 * above this one (the test harnesses wait 8 s) never kills this process before its parts.
 */
const STOP_GRACE_MS = 5_000;
const children: ChildProcess[] = [];

function log(name: string, line: string) {
  console.log(`[${name}] ${line}`);
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/** Signal a child's whole process group (it leads one: spawned detached). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = "";
    stream?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) log(name, line);
    });
  }
  child.on("exit", (code, signal) => {
    if (!stopping) {
      log(name, `exited (${signal ?? `code ${code}`}); stopping the system`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
let stopQueue: (() => Promise<void>) | undefined;
let cron: ReturnType<typeof setInterval> | undefined;

/** Stop every part (SIGTERM, SIGKILL after a grace period), then exit with `code`. */
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(cron);
  for (const child of children) signalGroup(child, "SIGTERM");
  const grace = setTimeout(() => {
    for (const child of children)
      if (!exited(child)) log("start", `pid ${child.pid} ignored SIGTERM; killing it`);
    for (const child of children) signalGroup(child, "SIGKILL");
  }, STOP_GRACE_MS);
  await Promise.all(children.map((c) => new Promise((r) => (exited(c) ? r(null) : c.once("exit", r)))));
  clearTimeout(grace);
  // What a child started may outlive it in its group (workerd after wrangler died).
  for (const child of children) signalGroup(child, "SIGKILL");
  await stopQueue?.().catch(() => {});
  process.exit(code);
}

/** A second signal while stopping does not wait for anything. */
function onSignal(signal: NodeJS.Signals): void {
  if (!stopping) {
    void stop(0);
    return;
  }
  log("start", `${signal} again: killing everything now`);
  for (const child of children) signalGroup(child, "SIGKILL");
  process.exit(1);
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
process.on("SIGHUP", onSignal);
// `npm start` runs this under npm and a shell. A process manager (or `timeout npm start`)
// signals npm's pid only: npm and the shell die and this process is re-parented, never told.
// Under npm, losing the parent is a stop request too, so no part outlives the command that
// started it. Run directly (`nohup node scripts/start.ts &`), outliving the shell is the point.
if (process.env.npm_lifecycle_event) {
  const parentPid = process.ppid;
  setInterval(() => {
    if (process.ppid !== parentPid) {
      log("start", `parent process ${parentPid} is gone; stopping the system`);
      void stop(0);
    }
  }, 500).unref();
}
// Last resort if this process fails on its own: leave no part running.
process.on("exit", () => {
  for (const child of children) signalGroup(child, "SIGKILL");
});

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not come up within ${timeoutMs / 1000} s`);
}

const { vars: secrets, created } = ensureDevVars();
if (created) log("start", "wrote development secrets to .dev.vars");

// 1. The local queue (the same SQS protocol the Worker and GPU service use with AWS).
const { startLocalQueue } = await import("./local-queue.ts");
const queue = await startLocalQueue({ port: SQS_PORT });
stopQueue = queue.stop;
log("sqs", `queue ${queue.queueUrl} (dead-letter ${queue.dlqUrl})`);

// 2. The database schema, then the Worker.
const migrate = spawnSync(
  "wrangler",
  ["d1", "migrations", "apply", "fcn-jobs", "--local", "--persist-to", STATE],
  {
    encoding: "utf8",
    env: { ...process.env, CI: "1" },
  },
);
if (migrate.status !== 0) {
  console.error(migrate.stdout, migrate.stderr);
  process.exit(1);
}
run("worker", "wrangler", [
  "dev",
  // exposes /__scheduled, which the timer below calls as Cloudflare's cron would
  "--test-scheduled",
  "--ip",
  HOST,
  "--port",
  String(PORT),
  "--persist-to",
  STATE,
  "--show-interactive-dev-session=false",
  // wrangler.toml defaults to production (what a deploy gets): ask for development here.
  "--var",
  "ENVIRONMENT:development",
  "--var",
  `PUBLIC_BASE_URL:http://${HOST}:${PORT}`,
  "--var",
  `SQS_QUEUE_URL:http://${HOST}:${SQS_PORT}/000000000000/fcn-jobs`,
  // `PREVIEW_RATE_LIMIT=off npm start` lifts the preview rate limits (harnesses that flood previews)
  ...(process.env.PREVIEW_RATE_LIMIT
    ? ["--var", `PREVIEW_RATE_LIMIT:${process.env.PREVIEW_RATE_LIMIT}`]
    : []),
]);

// 3. The GPU service, on CPU here.
run("gpu", process.execPath, ["gpu-service/main.ts"], {
  QUEUE_URL: queue.queueUrl,
  SQS_ENDPOINT: queue.endpoint,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  CALLBACK_SECRET: secrets.CALLBACK_SECRET,
  PORT: String(GPU_PORT),
  HOST,
  WAIT_TIME_SECONDS: process.env.WAIT_TIME_SECONDS ?? "2",
  // a job in flight is released back to the queue within the stop grace above
  SHUTDOWN_GRACE_SECONDS: process.env.SHUTDOWN_GRACE_SECONDS ?? "3",
  LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
});

try {
  await Promise.all([
    waitFor(`http://${HOST}:${PORT}/v1/health`, 90_000),
    waitFor(`http://${HOST}:${GPU_PORT}/healthz`, 90_000),
  ]);
} catch (error) {
  console.error(String(error));
  await stop(1);
}

// 4. The cron (wrangler.toml `crons`): the sweep re-sends jobs whose message was lost or never
// left, and retention deletes expired data. `wrangler dev` does not fire crons by itself.
async function runScheduled(): Promise<void> {
  try {
    const r = await fetch(`http://${HOST}:${PORT}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, {
      signal: AbortSignal.timeout(30_000),
    });
    await r.body?.cancel();
    if (!r.ok) log("cron", `the scheduled handler answered ${r.status}`);
  } catch (error) {
    if (!stopping) log("cron", `the scheduled handler did not run: ${error}`);
  }
}
await runScheduled();
cron = setInterval(runScheduled, CRON_SECONDS * 1000);
console.log(`
  FCN segmentation is running locally.
    Demo page     http://${HOST}:${PORT}/
    API           http://${HOST}:${PORT}/v1  (OpenAPI: http://${HOST}:${PORT}/openapi.json, docs: http://${HOST}:${PORT}/docs)
    GPU service   http://${HOST}:${GPU_PORT}/metrics  (on CPU here)
    Local SQS     ${queue.queueUrl}  (in memory: lost when this stops; the cron re-sends queued jobs)
    Cron          the scheduled handler every ${CRON_SECONDS} s (sweep, retention)
    Admin token   in .dev.vars (npx fcn keys create --name me  uses it automatically)
  Try:  curl --data-binary @worker/demo/public/samples/0016E5_07959.jpg -H 'content-type: image/jpeg' http://${HOST}:${PORT}/v1/preview -o mask.png
  Ctrl-C to stop.
`);
