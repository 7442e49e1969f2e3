/**
 * `npm start`: the whole system on one machine, on embedded defaults.
 *   - the Worker under `wrangler dev` (local R2, D1 and Queues) on http://127.0.0.1:$PORT (8787)
 * Ctrl-C stops everything.
 */
import { type ChildProcess, spawn } from "node:child_process";

const PORT = Number(process.env.PORT ?? 8787);
const HOST = "127.0.0.1";
const children: ChildProcess[] = [];

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = (line: string) => `[${name}] ${line}`;
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = "";
    stream?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) console.log(prefix(line));
    });
  }
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(prefix(`exited (${signal ?? code}); stopping the system`));
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 3000).unref();
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

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

run("worker", "wrangler", [
  "dev",
  "--ip",
  HOST,
  "--port",
  String(PORT),
  "--persist-to",
  ".wrangler/state",
  "--show-interactive-dev-session=false",
]);
await waitFor(`http://${HOST}:${PORT}/v1/health`, 60_000);
console.log(`
  FCN segmentation is running locally.
    Demo page     http://${HOST}:${PORT}/
    Preview API   POST http://${HOST}:${PORT}/v1/preview   (try: curl --data-binary @worker/demo/public/samples/0016E5_07959.jpg -H 'content-type: image/jpeg' http://${HOST}:${PORT}/v1/preview -o mask.png)
    Models        http://${HOST}:${PORT}/v1/models
  Ctrl-C to stop.
`);
