/**
 * `npm start`: the whole system on one machine, on embedded defaults.
 *   - a local SQS-compatible queue (fauxqs) on 127.0.0.1:9324 with its dead-letter queue
 *   - the GPU service on CPU, consuming that queue (metrics on 127.0.0.1:8080)
 *   - the Worker under `wrangler dev` (local R2, D1 and Queues) on http://127.0.0.1:$PORT (8787)
 * Development secrets are generated once into .dev.vars (git-ignored). Ctrl-C stops everything.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { ensureDevVars } from "./dev-vars.ts";

const PORT = Number(process.env.PORT ?? 8787);
const SQS_PORT = Number(process.env.SQS_PORT ?? 9324);
const GPU_PORT = Number(process.env.GPU_SERVICE_PORT ?? 8080);
const HOST = "127.0.0.1";
const STATE = process.env.FCN_STATE_DIR ?? ".wrangler/state";
const children: ChildProcess[] = [];

function log(name: string, line: string) {
  console.log(`[${name}] ${line}`);
}

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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
      log(name, `exited (${signal ?? code}); stopping the system`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
let stopQueue: (() => Promise<void>) | undefined;
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))),
  );
  await stopQueue?.();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

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
const { startLocalQueue } = await import("../gpu-service/local-queue.ts");
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
console.log(`
  FCN segmentation is running locally.
    Demo page     http://${HOST}:${PORT}/
    API           http://${HOST}:${PORT}/v1  (OpenAPI: http://${HOST}:${PORT}/openapi.json, docs: http://${HOST}:${PORT}/docs)
    GPU service   http://${HOST}:${GPU_PORT}/metrics  (on CPU here)
    Local SQS     ${queue.queueUrl}
    Admin token   in .dev.vars (npx fcn keys create --name me  uses it automatically)
  Try:  curl --data-binary @worker/demo/public/samples/0016E5_07959.jpg -H 'content-type: image/jpeg' http://${HOST}:${PORT}/v1/preview -o mask.png
  Ctrl-C to stop.
`);
