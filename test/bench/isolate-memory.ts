/**
 * Isolate-level memory of the Worker under `wrangler dev`, read through the V8 inspector that
 * `wrangler dev --inspector-port PORT` exposes (Chrome DevTools Protocol over a WebSocket).
 * Cloudflare counts the JS heap plus ArrayBuffer and WebAssembly memory against the 128 MB
 * per-isolate limit; workerd's process RSS also holds the runtime and the local R2/D1/Queues
 * simulators, so it cannot show that limit.
 *
 * What this workerd (wrangler 4.164) answers, checked by hand:
 * - `Runtime.getHeapUsage` gives `usedSize`, `totalSize`, `embedderHeapUsedSize` (workerd's C++
 *   objects, under 0.4 MB) and `backingStorageSize`: ordinary ArrayBuffer backing stores only.
 *   WebAssembly memories are NOT in it (neither onnxruntime-web's shared memory nor the jSquash
 *   decoders' memories), so they are read separately: `Runtime.queryObjects` on
 *   `WebAssembly.Memory.prototype`, then each memory's `buffer.byteLength`.
 * - `HeapProfiler.collectGarbage` is only answered once the isolate runs its next task (a
 *   request), so it cannot give an idle reading. `Runtime.queryObjects` runs a full GC itself,
 *   synchronously, so every reading with `gc: true` goes through it.
 * - The inspector is answered only between tasks: a `Runtime.getHeapUsage` sent every few ms
 *   while a large preview runs gets its first answer when the handler's JavaScript has finished
 *   (the preview is one task after the body is read). `Debugger.pause` is not honoured
 *   mid-task either. Function-call breakpoints are: while the isolate is paused in one, the
 *   inspector answers, so `probeStages` pauses on entry to the pipeline's functions and reads
 *   the memory there, which is how the peak of a request is seen from outside.
 */

/** One reading of the isolate. Every figure in bytes. */
export interface IsolateMemory {
  /** V8 heap in use: `usedSize` + `embedderHeapUsedSize` (workerd's cppgc objects). */
  jsHeap: number;
  /** `backingStorageSize`: ArrayBuffer backing stores (decoded pixels, tensors), wasm excluded. */
  arrayBuffers: number;
  /** `byteLength` of every WebAssembly.Memory in the isolate. They never shrink. */
  wasm: { bytes: number; shared: boolean }[];
}

export const wasmBytes = (m: IsolateMemory) => m.wasm.reduce((n, w) => n + w.bytes, 0);
export const totalBytes = (m: IsolateMemory) => m.jsHeap + m.arrayBuffers + wasmBytes(m);

/** "121.3 MB = JS heap 8.1 + ArrayBuffers 26.0 + wasm 87.2 (48.6, 20.2 shared, 16.8, 1.1)" */
export function describe(m: IsolateMemory): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const memories = [...m.wasm]
    .sort((a, b) => b.bytes - a.bytes)
    .map((w) => `${mb(w.bytes)}${w.shared ? " shared" : ""}`)
    .join(", ");
  return (
    `${mb(totalBytes(m))} MB = JS heap ${mb(m.jsHeap)} + ArrayBuffers ${mb(m.arrayBuffers)} + ` +
    `wasm ${mb(wasmBytes(m))} (${memories})`
  );
}

/** A reading taken while the isolate was paused on entry to one of the probed functions. */
export interface StageReading {
  stage: string;
  /** as found: garbage since the previous probe not yet collected */
  allocated: IsolateMemory;
  /** after a full GC at the same point: what is really alive there */
  live: IsolateMemory;
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}
interface RemoteObject {
  objectId?: string;
  value?: unknown;
}
interface HeapUsage {
  usedSize: number;
  totalSize: number;
  embedderHeapUsedSize?: number;
  backingStorageSize?: number;
}

// Node's WebSocket (undici) takes a `headers` init; the DOM lib types only know subprotocols.
// wrangler's inspector proxy refuses a client that sends a User-Agent without a local Origin.
const NodeWebSocket = WebSocket as unknown as new (
  url: string,
  init: { headers: Record<string, string> },
) => WebSocket;

const MEMORIES_GROUP = "bench-wasm-memories";

export class IsolateInspector {
  #ws: WebSocket;
  #next = 0;
  #pending = new Map<number, { resolve: (m: CdpMessage) => void; reject: (e: Error) => void }>();
  #context: number | undefined;
  #onPaused: ((params: Record<string, unknown>) => void) | undefined;
  /** a remote array of the isolate's WebAssembly.Memory objects, for readings without a GC */
  #memories: string | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as CdpMessage;
      if (message.id !== undefined) {
        const waiter = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(`inspector: ${message.error.message}`));
        else waiter?.resolve(message);
      } else if (message.method === "Runtime.executionContextCreated") {
        this.#context = (message.params!.context as { id: number }).id;
      } else if (message.method === "Debugger.paused") {
        this.#onPaused?.(message.params!);
      }
    });
    ws.addEventListener("close", () => {
      for (const { reject } of this.#pending.values()) reject(new Error("inspector connection closed"));
      this.#pending.clear();
    });
  }

  /** Connect to the Worker's target listed at `http://127.0.0.1:PORT/json`. */
  static async connect(inspectorPort: number, timeoutMs = 30_000): Promise<IsolateInspector> {
    const deadline = Date.now() + timeoutMs;
    let url: string | undefined;
    while (!url) {
      try {
        const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
          webSocketDebuggerUrl?: string;
        }[];
        url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
      } catch {}
      if (!url) {
        if (Date.now() > deadline) throw new Error(`no inspector target on port ${inspectorPort}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const ws = new NodeWebSocket(url, { headers: { origin: "http://127.0.0.1" } });
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", () => reject(new Error(`could not open ${url}`)), { once: true });
    });
    const inspector = new IsolateInspector(ws);
    await inspector.send("Runtime.enable"); // (re)announces the execution context
    while (inspector.#context === undefined) {
      if (Date.now() > deadline) throw new Error("the Worker announced no execution context");
      await new Promise((r) => setTimeout(r, 50));
    }
    return inspector;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<CdpMessage> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.#ws.close();
  }

  async heapUsage(): Promise<HeapUsage> {
    return (await this.send("Runtime.getHeapUsage")).result as unknown as HeapUsage;
  }

  /** Evaluate `expression` in the Worker's global scope and keep the result in `group`. */
  async #evaluate(expression: string, group: string): Promise<string> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      contextId: this.#context,
      objectGroup: group,
    });
    return ((r.result as { result: RemoteObject }).result.objectId as string) ?? "";
  }

  /** All live objects whose prototype is `prototype` (runs a full GC first), as a remote array. */
  async #queryObjects(prototype: string, group: string): Promise<string> {
    const proto = await this.#evaluate(prototype, group);
    const r = await this.send("Runtime.queryObjects", { prototypeObjectId: proto, objectGroup: group });
    return (r.result as { objects: RemoteObject }).objects.objectId as string;
  }

  async #callOn<T>(objectId: string, fn: string, args: unknown[] = [], group?: string): Promise<T> {
    const r = await this.send("Runtime.callFunctionOn", {
      objectId,
      functionDeclaration: fn,
      arguments: args.map((value) => ({ value })),
      returnByValue: group === undefined,
      objectGroup: group,
    });
    const { result: out, exceptionDetails } = r.result as {
      result: RemoteObject;
      exceptionDetails?: unknown;
    };
    if (exceptionDetails) throw new Error(`inspector: ${JSON.stringify(exceptionDetails).slice(0, 500)}`);
    return (group === undefined ? out.value : out.objectId) as T;
  }

  /**
   * Read the isolate's memory. `gc: true` runs a full GC first (what is alive); `gc: false`
   * reads it as it is, garbage included, and uses the memories found by the last GC reading.
   */
  async read({ gc }: { gc: boolean }): Promise<IsolateMemory> {
    if (gc || !this.#memories) {
      await this.send("Runtime.releaseObjectGroup", { objectGroup: MEMORIES_GROUP });
      this.#memories = await this.#queryObjects("WebAssembly.Memory.prototype", MEMORIES_GROUP);
    }
    const wasm = await this.#callOn<[number, boolean][]>(
      this.#memories,
      "function () { return this.map((m) => [m.buffer.byteLength, m.buffer instanceof SharedArrayBuffer]); }",
    );
    const usage = await this.heapUsage();
    return {
      jsHeap: usage.usedSize + (usage.embedderHeapUsedSize ?? 0),
      arrayBuffers: usage.backingStorageSize ?? 0,
      wasm: wasm.map(([bytes, shared]) => ({ bytes, shared })),
    };
  }

  /**
   * Send `Runtime.getHeapUsage` every `everyMs` (one at a time) while `work` runs, and time the
   * answers: the isolate answers only between tasks, so the longest gap between two answers
   * shows how long the request kept it busy without a reading.
   */
  async sampleDuring<T>(
    work: Promise<T>,
    everyMs = 5,
  ): Promise<{ result: T; ms: number; sent: number; answered: number; longestGapMs: number }> {
    const t0 = performance.now();
    let done = false;
    let sent = 0;
    const answers: number[] = [];
    const sampler = (async () => {
      while (!done) {
        sent++;
        await this.heapUsage();
        if (!done) answers.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
    try {
      const result = await work;
      const ms = performance.now() - t0;
      const times = [0, ...answers, ms];
      const longestGapMs = Math.max(...times.slice(1).map((t, i) => t - times[i]));
      return { result, ms, sent, answered: answers.length, longestGapMs };
    } finally {
      done = true;
      await sampler;
    }
  }

  /**
   * Run `work` with a function-call breakpoint on every Worker function (or class) named in
   * `names` (bundler suffixes such as `segment2` included) and read the memory at each pause:
   * first the JS heap and ArrayBuffers as found, then everything after a full GC. The GC at
   * each probe means later `allocated` figures only hold the garbage made since the previous
   * probe. WebAssembly memories can only be found by a query that collects first, so both
   * readings count the live ones: a dropped decoder's heap shows in neither.
   */
  async probeStages<T>(
    names: string[],
    work: () => Promise<T>,
  ): Promise<{ result: T; stages: StageReading[] }> {
    const scan = "bench-scan";
    const probes = "bench-probes";
    await this.send("Debugger.enable");
    const breakpoints = new Map<string, string>(); // id -> function name
    try {
      // Find the functions themselves: every function object, filtered by declared name (or,
      // for a class the bundler made anonymous and named with `__name`, its `name`).
      const declared = `function (f) {
        const m = /^(?:async\\s+)?(?:function\\s*\\*?|class)\\s*([\\w$]+)/.exec(Function.prototype.toString.call(f));
        return (m ? m[1] : f.name) ?? "";
      }`;
      const all = await this.#queryObjects("Function.prototype", scan);
      const found = await this.#callOn<string>(
        all,
        `function (names) {
          const declared = ${declared};
          return this.filter((f) => typeof f === "function" && // not objects made with Function.prototype as proto
            names.some((n) => new RegExp("^" + n + "\\\\d*$").test(declared(f))));
        }`,
        [names],
        probes,
      );
      await this.send("Runtime.releaseObjectGroup", { objectGroup: scan });
      const foundNames = await this.#callOn<string[]>(found, `function () { return this.map(${declared}); }`);
      const props = await this.send("Runtime.getProperties", { objectId: found, ownProperties: true });
      for (const p of (props.result as { result: { name: string; value?: RemoteObject }[] }).result) {
        if (!/^\d+$/.test(p.name) || !p.value?.objectId) continue;
        const name = foundNames[Number(p.name)] ?? "?";
        const bp = await this.send("Debugger.setBreakpointOnFunctionCall", { objectId: p.value.objectId });
        breakpoints.set((bp.result as { breakpointId: string }).breakpointId, name.replace(/\d+$/, ""));
      }
      const missing = names.filter((n) => ![...breakpoints.values()].includes(n));
      if (missing.length) throw new Error(`no Worker function named ${missing.join(", ")}`);

      const stages: StageReading[] = [];
      let failure: unknown;
      this.#onPaused = (params) => {
        // The top frame is the function just entered (its bundled name, maybe with a suffix).
        const top = (params.callFrames as { functionName: string }[] | undefined)?.[0]?.functionName;
        const stage = top ? top.replace(/\d+$/, "") : String(params.reason);
        (async () => {
          try {
            const usage = await this.heapUsage();
            const live = await this.read({ gc: true });
            const allocated: IsolateMemory = {
              jsHeap: usage.usedSize + (usage.embedderHeapUsedSize ?? 0),
              arrayBuffers: usage.backingStorageSize ?? 0,
              wasm: live.wasm,
            };
            stages.push({ stage, allocated, live });
          } catch (error) {
            failure ??= error;
          } finally {
            await this.send("Debugger.resume").catch(() => {}); // the connection may be gone
          }
        })();
      };
      const result = await work();
      if (failure) throw failure;
      return { result, stages };
    } finally {
      this.#onPaused = undefined;
      for (const id of breakpoints.keys()) await this.send("Debugger.removeBreakpoint", { breakpointId: id });
      await this.send("Debugger.disable");
      await this.send("Runtime.releaseObjectGroup", { objectGroup: probes });
    }
  }
}
