/**
 * `npm start` (scripts/start.ts) as a supervisor (issue #15, item 8): it fires the Worker's
 * cron handler on schedule like production (here every 2 s instead of 60), and when any part
 * dies, even by a signal, it stops every other part and exits non-zero instead of hanging.
 * Signalling npm alone (as a process manager or `timeout npm start` does) stops it too.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commandLineIncludes,
  descendants,
  devSecrets,
  startWholeSystem,
  type WholeSystem,
  waitFor,
} from "../fixtures/system.ts";

let system: WholeSystem;
/** The same system under `npm start`, for the process-manager case; each case ends its own. */
let npmSystem: WholeSystem;

// Both boot at once: each case stops one whole system, so neither can be shared. The secrets
// file is made first: two start.ts generating it at the same moment could disagree.
beforeAll(async () => {
  devSecrets();
  [system, npmSystem] = await Promise.all([
    startWholeSystem(180_000, { CRON_INTERVAL_SECONDS: "2" }),
    startWholeSystem(180_000, {}, ["npm", "start"]),
  ]);
}, 200_000);

afterAll(async () => {
  await Promise.all([system?.stop(), npmSystem?.stop()]);
}, 60_000);

/** The pid among `pids` whose command line contains `text`. */
const findProcess = (pids: number[], text: string) => pids.find((pid) => commandLineIncludes(pid, text));

/** Running, not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

const scheduledRuns = () => system.proc.log.join("").split("GET /__scheduled 200").length - 1;

describe("npm start", () => {
  it("runs the Worker's scheduled handler on its schedule", async () => {
    const before = scheduledRuns();
    await waitFor("two more scheduled runs", () => scheduledRuns() >= before + 2, 20_000);
  });

  it("stops every part and exits non-zero when one is killed by a signal", async () => {
    const start = system.proc.child;
    const parts = descendants(start.pid!);
    const gpu = findProcess(parts, "gpu-service/main.ts");
    expect(gpu).toBeDefined();
    expect(parts.length).toBeGreaterThanOrEqual(3); // wrangler, workerd, the GPU service
    const exited = new Promise<number | null>((r) => start.once("exit", (code) => r(code)));
    process.kill(gpu!, "SIGKILL");
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("hung"), 30_000))]);
    expect(code).toBe(1);
    expect(system.proc.log.join("")).toContain("[gpu] exited (SIGKILL); stopping the system");
    await waitFor("every part to be gone", () => parts.every((pid) => !running(pid)), 10_000);
  });
});

describe("npm start under a process manager", () => {
  it("stops every part when only npm's own pid gets SIGTERM", async () => {
    // npm and its shell die without passing the signal on; start.ts notices it lost its parent
    const npm = npmSystem.proc.child;
    const parts = descendants(npm.pid!);
    try {
      expect(findProcess(parts, "scripts/start.ts")).toBeDefined();
      expect(findProcess(parts, "gpu-service/main.ts")).toBeDefined();
      process.kill(npm.pid!, "SIGTERM");
      await waitFor("every part to be gone", () => parts.every((pid) => !running(pid)), 20_000);
      expect(npmSystem.proc.log.join("")).toContain("is gone; stopping the system");
    } finally {
      await npmSystem.stop();
      // on failure the parts run in their own groups, outside npm's: leave none behind
      for (const pid of parts.filter(running)) process.kill(pid, "SIGKILL");
    }
  }, 240_000);
});
