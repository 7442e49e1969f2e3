/**
 * `npm run reliability:report`: run the reliability suites and the load test, then write
 * docs/RELIABILITY.md from what they observed.
 *   1. vitest, node and system projects, test/reliability (corpus, fuzz, faults, large outputs,
 *      the local system) and the demo page's headers -> test/artifacts/reliability/vitest.json
 *   2. vitest, worker project, the workerd tests that already cover bad input and abuse
 *      -> test/artifacts/reliability/workerd.json
 *   3. node test/soak/load.ts -> test/artifacts/load.json
 *   4. render docs/RELIABILITY.md (tables of every case: expected and observed)
 * Flags: --no-load, --no-workerd (reuse earlier artifacts when present), --render-only.
 * Exits non-zero when a suite failed; the document is written either way.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { freePort } from "../test/fixtures/system.ts";
import type { Phase } from "../test/soak/load.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const OUT = path.join(ROOT, "test/artifacts/reliability");
const LOAD = path.join(ROOT, "test/artifacts/load.json");
const DOC = path.join(ROOT, "docs/RELIABILITY.md");
const BIN = path.join(ROOT, "node_modules/.bin");
const args = new Set(process.argv.slice(2));
const renderOnly = args.has("--render-only");

/** Node tests outside test/reliability that pin findings: run with the reliability suites. */
const NODE_TESTS = ["test/reliability", "gpu-service/edge-origin.test.ts", "test/browser/demo.test.ts"];

const WORKERD_TESTS = [
  "worker/config.test.ts",
  "worker/errors/index.test.ts",
  "worker/preview/route.test.ts",
  "worker/jobs/routes.test.ts",
  "worker/internal/routes.test.ts",
  "worker/net/url-policy.test.ts",
  "worker/webhooks/webhooks.test.ts",
  "worker/jobs/retention.test.ts",
  // issue #29
  "worker/jobs/events.test.ts",
  "worker/batches/batches.test.ts",
  "worker/batches/fetch-items.test.ts",
  "worker/preview/limit.test.ts",
  "worker/auth/rate-limit.test.ts",
];

interface Step {
  title: string;
  ok: boolean;
  seconds: number;
  ran: boolean;
}
const steps: Step[] = [];

function run(title: string, command: string, argv: string[], env: Record<string, string> = {}): void {
  console.log(`\n== ${title}: ${command} ${argv.join(" ")}`);
  const started = performance.now();
  const result = spawnSync(command, argv, {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, ...env },
  });
  const seconds = (performance.now() - started) / 1000;
  steps.push({ title, ok: result.status === 0, seconds, ran: true });
  console.log(`== ${result.status === 0 ? "ok" : "FAILED"}: ${title} (${seconds.toFixed(1)} s)`);
}

mkdirSync(OUT, { recursive: true });
if (!renderOnly) {
  // corpus, large outputs and the demo page run on the shared system (the system project)
  run("reliability suites (vitest, node and system projects)", "vitest", [
    "run",
    "--project",
    "node",
    "--project",
    "system",
    ...NODE_TESTS,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${path.join(OUT, "vitest.json")}`,
  ]);
  if (!args.has("--no-workerd")) {
    run(
      "workerd tests that cover bad input and abuse (vitest, worker project)",
      "vitest",
      [
        "run",
        "--project",
        "worker",
        ...WORKERD_TESTS,
        "--reporter=default",
        "--reporter=json",
        `--outputFile.json=${path.join(OUT, "workerd.json")}`,
      ],
      { FCN_TEST_SQS_PORT: String(await freePort()) },
    );
  }
  if (!args.has("--no-load")) run("load test (test/soak/load.ts)", process.execPath, ["test/soak/load.ts"]);
}

// ---- render ----

interface Assertion {
  ancestorTitles: string[];
  title: string;
  fullName: string;
  status: string;
  duration?: number;
  failureMessages: string[];
}
interface VitestJson {
  startTime: number;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; startTime: number; endTime: number; assertionResults: Assertion[] }[];
}
interface Outcome {
  status: number;
  code: string | null;
  size?: [number, number];
  job?: { status: string; code?: string; size?: [number, number] };
}
interface CorpusRecord {
  route: string;
  note: string;
  expected: Outcome;
  node?: Outcome;
  worker?: Outcome;
}
const read = <T>(file: string): T | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : undefined;
const when = (file: string) =>
  existsSync(file)
    ? statSync(file)
        .mtime.toISOString()
        .replace(/\.\d+Z$/, "Z")
    : "never";

const vitest = read<VitestJson>(path.join(OUT, "vitest.json"));
const workerd = read<VitestJson>(path.join(OUT, "workerd.json"));
const corpus = read<Record<string, CorpusRecord>>(path.join(OUT, "corpus.json")) ?? {};
const faults = read<Record<string, Record<string, unknown>>>(path.join(OUT, "faults.json")) ?? {};
const largeOutputs =
  read<Record<string, Record<string, unknown>>>(path.join(OUT, "large-outputs.json")) ?? {};
const load = read<{
  generated_at: string;
  machine: { cpus: number; cpu_model: string; loadavg_at_start: number[]; node: string };
  preview: Phase;
  jobs: Phase;
  memory: {
    process: string;
    start_mb: number;
    peak_mb: number;
    end_mb: number;
    growth_mb: number;
    flat: boolean;
  };
}>(LOAD);

const rel = (file: string) => path.relative(ROOT, file);
const cell = (s: unknown) =>
  String(s ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ");
const mark = (status: string | undefined) =>
  status === "passed" ? "✅ pass" : status === "failed" ? "❌ FAIL" : status ? `⚪ ${status}` : "⚪ not run";

/** Regression tests of the findings fixed in this change (see "Findings"). */
const KNOWN_BUG_TITLES = [
  "terminates on a WebP chunk length that would run backwards",
  "production refuses private IPv4 embedded in IPv6",
  // issue #15
  "3300x2200 with probabilities",
  "a receiver that never answers does not hold back the others",
  "racing submits with one Idempotency-Key leave no input without a job",
  "stops every part and exits non-zero when one is killed by a signal",
  "runs the Worker's scheduled handler on its schedule",
];

/**
 * Regression tests of issue #15's findings, by finding: [suite json, file, title prefix].
 * Each test failed before its fix.
 */
type Pin = ["vitest" | "workerd", string, string];
const ISSUE_15_PINS: Record<string, Pin[]> = {
  production: [
    ["vitest", "test/reliability/deploy.test.ts", "is production with PUBLIC_BASE_URL"],
    ["vitest", "test/reliability/deploy.test.ts", "without any --var is still production"],
    ["workerd", "worker/jobs/routes.test.ts", "refuses a metadata-service webhook_url"],
  ],
  origin: [
    ["workerd", "worker/jobs/routes.test.ts", "job message URLs and result links use PUBLIC_BASE_URL"],
    ["workerd", "worker/jobs/routes.test.ts", "a production Worker without PUBLIC_BASE_URL"],
    ["workerd", "worker/config.test.ts", "takes the public origin from PUBLIC_BASE_URL"],
    ["workerd", "worker/internal/routes.test.ts", "re-sends a queued job that never starts"],
    ["vitest", "test/reliability/corpus.test.ts", "a forged Host header does not move the GPU tier"],
    ["vitest", "gpu-service/edge-origin.test.ts", "follows no redirect"],
    ["vitest", "gpu-service/edge-origin.test.ts", "refuses a job message whose URLs"],
  ],
  malformed: [
    [
      "workerd",
      "worker/jobs/routes.test.ts",
      "answers 400 invalid_request with an error body for every malformed",
    ],
    ["workerd", "worker/internal/routes.test.ts", "answers 400 to a signed callback of the wrong shape"],
    ["vitest", "test/reliability/corpus.test.ts", "malformed list cursors and signed callbacks"],
  ],
  // issue #29, finding 10
  unmigrated: [
    ["workerd", "worker/errors/index.test.ts", "answers 503 misconfigured naming the migrations step"],
    ["workerd", "worker/errors/index.test.ts", "answers the same when a later migration is missing"],
  ],
  webhookPolicy: [
    ["vitest", "test/reliability/fuzz.test.ts", "production refuses trailing-dot internal names"],
    ["workerd", "worker/net/url-policy.test.ts", "refuses https://[fec0::1]/x"],
    ["workerd", "worker/net/url-policy.test.ts", "refuses https://[2001:0::1]/x"],
    ["workerd", "worker/net/url-policy.test.ts", "refuses https://localhost./x"],
    ["workerd", "worker/jobs/routes.test.ts", "answers 503 dns_unavailable"],
    ["workerd", "worker/webhooks/webhooks.test.ts", "in production a delivery whose DNS check cannot run"],
    ["workerd", "worker/net/url-policy.test.ts", "DNS rebinding"],
  ],
};
/** Regression tests of issue #29's findings (a second black-box probe), by finding. */
const ISSUE_29_PINS: Record<string, Pin[]> = {
  revokedStream: [["workerd", "worker/jobs/events.test.ts", "ends at the next poll once its key is revoked"]],
  batchFetch: [
    ["workerd", "worker/batches/fetch-items.test.ts", "fetches each distinct URL once"],
    ["workerd", "worker/batches/fetch-items.test.ts", "sends at most perHost requests to one host"],
    ["workerd", "worker/batches/fetch-items.test.ts", "stops at the first failure"],
    ["workerd", "worker/batches/fetch-items.test.ts", "counts redirects for the whole batch"],
    ["workerd", "worker/batches/fetch-items.test.ts", "has one deadline for the whole batch"],
  ],
  previewLimit: [
    [
      "workerd",
      "worker/preview/limit.test.ts",
      "answers 429 rate_limited with Retry-After to an anonymous client",
    ],
    ["workerd", "worker/preview/limit.test.ts", "gives a request with an API key the key's higher limit"],
    ["workerd", "worker/preview/limit.test.ts", "refuses an unknown key with 401"],
    ["workerd", "worker/preview/limit.test.ts", "is skipped only by a development Worker"],
  ],
  perKeyCaps: [
    ["workerd", "worker/jobs/events.test.ts", "lets a key hold"],
    ["workerd", "worker/jobs/routes.test.ts", "holds at most"],
  ],
  tokenBucket: [
    ["workerd", "worker/auth/rate-limit.test.ts", "lets no more than the limit"],
    ["workerd", "worker/auth/rate-limit.test.ts", "refills evenly"],
  ],
  duplicateFields: [
    ["workerd", "worker/jobs/routes.test.ts", "honours every value of a repeated list field, and refuses"],
    ["workerd", "worker/batches/batches.test.ts", "honours every value of a repeated list field and refuses"],
  ],
  earlyRefusal: [
    ["vitest", "test/reliability/early-refusals.test.ts", "a 60,000-field multipart body"],
    ["vitest", "test/reliability/early-refusals.test.ts", "a chunked body past the batch limit"],
  ],
  demoHeaders: [["vitest", "test/browser/demo.test.ts", "is served with its security headers"]],
};
const ISSUE_15_TITLES = Object.values(ISSUE_15_PINS).flatMap((pins) => pins.map(([, , title]) => title));
const ISSUE_29_TITLES = Object.values(ISSUE_29_PINS).flatMap((pins) => pins.map(([, , title]) => title));
const isKnownBug = (a: Assertion) =>
  [...KNOWN_BUG_TITLES, ...ISSUE_15_TITLES, ...ISSUE_29_TITLES].some((t) => a.title.startsWith(t));

function results(json: VitestJson | undefined, file: string): Assertion[] {
  return json?.testResults.find((r) => rel(r.name) === file)?.assertionResults ?? [];
}
function find(
  json: VitestJson | undefined,
  file: string,
  match: (a: Assertion) => boolean,
): Assertion | undefined {
  return results(json, file).find(match);
}
const seconds = (a: Assertion | undefined) =>
  a?.duration === undefined
    ? ""
    : a.duration < 1000
      ? `${Math.round(a.duration)} ms`
      : `${(a.duration / 1000).toFixed(1)} s`;

function outcome(o: Outcome | undefined): string {
  if (!o) return "—";
  if (o.job) {
    const job =
      o.job.status === "succeeded" ? `succeeded ${o.job.size?.join("x") ?? ""}` : `failed \`${o.job.code}\``;
    return `${o.status} → job ${job}`;
  }
  if (o.status === 200) return `200 mask ${o.size?.join("x") ?? ""}`;
  return `${o.status} \`${o.code}\``;
}
const same = (a: Outcome | undefined, b: Outcome | undefined) => JSON.stringify(a) === JSON.stringify(b);

const lines: string[] = [];
const w = (s = "") => lines.push(s);

w("# Reliability and security");
w();
w(
  `<!-- Generated by \`npm run reliability:report\` (scripts/reliability-report.ts): edit the script, not this file. -->`,
);
w();
w(
  `Generated ${new Date().toISOString().replace(/\.\d+Z$/, "Z")} on ${cpus().length} CPUs (${cell(cpus()[0]?.model)}), Node ${process.version}. ` +
    "Every number and verdict below comes from the last run of the suites; the bad inputs are generated by " +
    "`test/fixtures/corpus.ts` (no hand-collected binaries).",
);
w();
w("| command | what it runs |");
w("|---|---|");
w(
  "| `npm test` | includes `test/reliability/*.test.ts`: fuzz, faults and the local system in the node project, corpus and large outputs on the shared system (system project); `FCN_TEST_40MP=1` adds a 40 MP job |",
);
w("| `npm run test:soak` | `test/soak/load.ts`: the bounded load test (not part of `npm test`) |");
w(
  "| `npm run reliability:report` | both, plus the workerd tests listed in section 6, then writes this file |",
);
w();

// summary
w("## Summary");
w();
w("| suite | tests | passed | failed | regression tests of fixed findings | time in tests |");
w("|---|---:|---:|---:|---:|---:|");
for (const [json, label] of [
  [vitest, "test/reliability (node)"],
  [workerd, "workerd tests (section 6)"],
] as const) {
  if (!json) {
    w(`| ${label} | not run | | | | |`);
    continue;
  }
  for (const r of json.testResults) {
    const all = r.assertionResults;
    w(
      `| \`${rel(r.name)}\` | ${all.length} | ${all.filter((a) => a.status === "passed").length} | ${all.filter((a) => a.status === "failed").length} | ${all.filter(isKnownBug).length} | ${((r.endTime - r.startTime) / 1000).toFixed(1)} s |`,
    );
  }
}
if (load) {
  w(
    `| \`test/soak/load.ts\` | 2 phases | | | | ${Math.round(load.preview.duration_s + load.jobs.duration_s)} s of load (${when(LOAD)}) |`,
  );
}
w();

if (steps.length) {
  w(
    `Wall time of this run, start-up of the systems included: ${steps.map((s) => `${s.title} ${s.seconds.toFixed(0)} s${s.ok ? "" : " (FAILED)"}`).join("; ")}.`,
  );
  w();
}

// findings
w("## Findings");
w();
const hang = find(vitest, "test/reliability/fuzz.test.ts", (a) => a.title.startsWith(KNOWN_BUG_TITLES[0]));
const ssrf = find(vitest, "test/reliability/fuzz.test.ts", (a) => a.title.startsWith(KNOWN_BUG_TITLES[1]));
const still = (a: Assertion | undefined) =>
  a?.status === "passed"
    ? "**fixed**; its regression test passes"
    : a
      ? "**regressed**: its regression test fails"
      : "regression test not run";
w(
  `1. **High: endless loop in the WebP EXIF walk (denial of service).** \`models/runtime/exif.ts\` lines 47 and 53: a RIFF chunk length is read as a *signed* 32-bit number, so 0xFFFFFFF8 is -8 and \`i += 8 + length + (length & 1)\` never moves. \`decodeImage\` (\`models/runtime/decode.ts\` line 75) calls it for every WebP that libwebp decodes, so a valid WebP with the 8 bytes \`JUNK f8 ff ff ff\` appended past its RIFF size (306 bytes in all) never returns. Observed on the local system: \`POST /v1/preview\` with it never answers and workerd then answers nothing else either, not even \`/v1/health\` (in production each such request burns the 30 s CPU limit); \`POST /v1/jobs\` accepts it (202: the edge reads the header only), the GPU service's event loop blocks for good (\`/healthz\` times out, the job stays \`running\`), and once its heartbeat stops the message goes to the next consumer, which hangs too, up to maxReceiveCount. Fix: read the length with \`>>> 0\` (as the PNG branch does) and stop when a chunk does not fit. Status: ${still(hang)}.`,
);
w(
  `2. **Low: webhook SSRF policy misses IPv6 forms that embed an IPv4 address.** \`worker/webhooks/ssrf.ts\` (now \`worker/net/\`) \`isPrivateIPv6\` recognises \`::ffff:a.b.c.d\` only; in production \`https://[::127.0.0.1]/\` (IPv4-compatible, normalised to \`[::7f00:1]\`), \`https://[64:ff9b::a9fe:a9fe]/\` (NAT64 of 169.254.169.254) and \`https://[2002:7f00:1::]/\` (6to4) are accepted. Workers' outbound fetch cannot reach a private network, so the practical risk is small, but the policy claims to refuse these. Status: ${still(ssrf)}.`,
);
w(
  '3. **Low: a client that disconnects mid-upload is logged as an unhandled 500.** `worker/images/read-body.ts` `readCapped` (line 24, `reader.read()`) lets the stream error (`Network connection lost`) escape; `worker/errors/index.ts` logs it as `{"level":"error","msg":"unhandled"}` with a stack and answers 500 `internal_error` (to nobody). Seen in the stalled-body test\'s system log. Status: **fixed**: read errors are now an `InputError` (400 `invalid_request`, "the request body could not be read to the end").',
);
w(
  "4. **Low (by reading, not reproduced): a webhook can be lost between the state change and the enqueue.** `worker/jobs/service.ts` `applyCallback` commits `succeeded` (line 173) and then calls `enqueueWebhook` (line 178). If that send fails, the callback answers 500, the GPU service retries it, the retry meets `already_completed` (409) and counts as done: the `job.succeeded` webhook is never sent. Status: **fixed**: the webhook is enqueued before the transition; the queue consumer waits for the transition, drops the message if another outcome won, and never delivers one webhook id twice.",
);
w(
  "5. **Product gaps, pinned by the corpus (behaviour, not crashes):** CMYK and YCCK JPEGs with Adobe's APP14 marker decode (jpeg-js, Adobe's inverted inks; mozjpeg cannot convert CMYK); one without the marker is refused with 400 `unreadable_image`, as are 12-bit, lossless and arithmetic-coded JPEG and animated WebP. APNG decodes its first frame. A JPEG that ends before its EOI marker, or whose scan data mozjpeg reports cut short, is refused as truncated (400), at job submission too, as a PNG missing its IEND is.",
);
w(
  "6. **Latency note (no loss):** a job sent while a GPU consumer shuts down can land in that consumer's aborted long poll; it is invisible for one visibility timeout and then redelivered (seen in fault (e): attempt 2 after 5 s; with the production default of 120 s it waits two minutes). SQS itself behaves this way.",
);
w(
  "7. **Development only:** `wrangler dev` rebuilds when any source file changes and answers 503 to requests in flight during the reload. The harness (`test/fixtures/system.ts`) sends such a request once more and says so on the console.",
);
const found = (json: VitestJson | undefined, file: string, title: string) =>
  still(find(json, file, (a) => a.title.startsWith(title)));
w(
  `8. **Medium (issue #15): probabilities above about 6 MP failed.** They are 11 bytes per pixel (440 MB at the documented 40 MP); the GPU service PUT them in one body, which the Worker buffered up to 64 MiB and refused beyond with 413, after the whole inference. Cloudflare also refuses request bodies over 100 MB (Free and Pro plans). Fix: outputs stream into R2 with a known length (\`FixedLengthStream\`, never held by the Worker), and an output over 64 MiB goes up as an R2 multipart upload through the same signed URL (\`protocol/jobs.ts\`, \`worker/internal/outputs.ts\`, \`gpu-service/edge-client.ts\`: parts are views of the one array, sent one at a time). Status: ${found(vitest, "test/reliability/large-outputs.test.ts", KNOWN_BUG_TITLES[2])} (section 7).`,
);
w(
  `9. **Medium (issue #15): one slow webhook receiver delayed everyone's webhooks.** The queue consumer delivered a batch one message at a time with a 10 s timeout each. Fix: up to 6 deliveries of a batch at once (\`worker/webhooks/consumer.ts\`; 6 is also the Workers limit of open connections per invocation), and a failing message is retried alone. Status: ${found(workerd, "worker/webhooks/webhooks.test.ts", KNOWN_BUG_TITLES[3])}.`,
);
w(
  `10. **Low (issue #15): racing duplicate submits left stored inputs behind, and nothing deleted stored data.** Fix: an input whose job row was never written is deleted at once; a final job's input and outputs are deleted after its \`expires_at\` (7 days, in the job JSON) by the minute cron, or at once by \`DELETE /v1/jobs/:id\` (which cancels a queued job and answers 409 for a running one) (\`worker/jobs/retention.ts\`). Status: ${found(workerd, "worker/jobs/retention.test.ts", KNOWN_BUG_TITLES[4])}.`,
);
w(
  `11. **Development only (issue #15): \`npm start\` hung when a part was killed by a signal** (it waited for an exit code that stays null) and then ignored SIGTERM; the cron never ran under \`wrangler dev\`. Fix: any part's exit stops every other part's process group and exits 1; the cron handler runs every minute through \`--test-scheduled\`. The local queue stays in memory (the README says so; the cron re-sends what was lost). Status: ${found(vitest, "test/reliability/local-system.test.ts", KNOWN_BUG_TITLES[5])} (section 8).`,
);
const pinned = (key: string) => {
  const pins = ISSUE_15_PINS[key] ?? ISSUE_29_PINS[key];
  const found = pins.map(([json, file, title]) =>
    find(json === "vitest" ? vitest : workerd, file, (a) => a.title.startsWith(title)),
  );
  const failed = found.filter((a) => a && a.status !== "passed").length;
  const missing = found.filter((a) => !a).length;
  const where = [...new Set(pins.map(([, file]) => `\`${file}\``))].join(", ");
  if (failed) return `**regressed**: ${failed} of its ${found.length} regression tests fail (${where})`;
  if (missing === found.length) return `regression tests not run (${where})`;
  return `**fixed**; its ${found.length - missing} regression tests pass (${where})${missing ? `, ${missing} not run` : ""}`;
};
w(
  `12. **High: the documented deploy ran the Worker in development mode.** \`wrangler.toml\` said \`ENVIRONMENT = "development"\` and the deploy steps overrode only the queue vars, so a deployed Worker handed anyone an API key at \`GET /v1/demo/key\` and accepted \`webhook_url=http://169.254.169.254/...\`. Fix: \`wrangler.toml\` defaults to production; only \`npm start\` and the test harnesses ask for development (\`--var\`, test bindings); the deploy docs set every var a deployment needs, and a test runs the documented command with \`wrangler deploy --dry-run\` and reads the printed vars. Status: ${pinned("production")}.`,
);
w(
  `13. **Medium: the request's \`Host\` header decided where the GPU tier connected.** Job URLs were built from the request's origin unless \`PUBLIC_BASE_URL\` was set; with \`Host: 127.0.0.1:9602\` the GPU service fetched the input there, followed a 302 to another local endpoint and posted a signed callback there, and the cron re-sent the still-queued job with no cap. Fix: the origin comes from \`PUBLIC_BASE_URL\` only (\`worker/config.ts\`; required and https in production, where a missing one answers 503 \`misconfigured\`); the GPU tier follows no redirect, refuses a message whose URLs span origins and, with \`EDGE_ORIGIN\`, any other origin; the sweep sends a queued job at most \`MAX_DISPATCHES\` (6) times, then fails it \`not_started\`. Status: ${pinned("origin")}.`,
);
w(
  `14. **Low: malformed input answered 500.** A \`cursor\` of \`MQ==\` or \`W10=\` on \`GET /v1/jobs\` reached D1 with the wrong types; a signed \`failed\` callback without an \`error\` object crashed the state change. Fix: the cursor is decoded and checked (\`worker/jobs/cursor.ts\`), \`limit\` must be plain digits, and every callback is parsed with the zod schema in \`protocol/jobs.ts\` (the one the OpenAPI document shows): 400 \`invalid_request\`. Status: ${pinned("malformed")}.`,
);
w(
  `15. **Low: production webhook policy gaps.** Names with a trailing dot (\`localhost.\`, \`metadata.google.internal.\`, \`printer.local.\`) passed the internal-name filter; \`fec0::/10\` and Teredo \`2001::/32\` were accepted; an unreachable DNS-over-HTTPS resolver made the submit answer 500. Fix: names are normalised (lower case, trailing dots dropped) before the checks; every range of the IANA IPv4 and IPv6 special-purpose registries that is not globally reachable is refused (IPv6 outside 2000::/3 except mapped and NAT64 forms judged by their IPv4, 2001::/23, documentation, 6to4 of a non-global IPv4); a resolver failure is 503 \`dns_unavailable\` with \`Retry-After\` at submit and a retried (not refused) delivery. DNS rebinding: the name is checked again at every delivery and redirect hop (tested with a name that turns private after the submit); the Worker's own fetch resolves once more after the check, a gap that Workers' outbound network (no private networks) closes in production. Status: ${pinned("webhookPolicy")}.`,
);
w(
  `16. **Medium (issue #29): a revoked key's event stream went on.** \`worker/jobs/events.ts\` checked the key once, when the stream opened: after \`DELETE /v1/admin/keys/{id}\` the open \`GET /v1/jobs/{id}/events\` kept sending \`running\`, \`progress\` and \`succeeded\` for up to its 5 minutes, the last with a fresh signed \`mask_url\` that downloaded. Fix: every poll reads the key with the job (\`isKeyActive\`, \`worker/auth/keys.ts\`) and the stream ends at the first read after the key is revoked or gone, before anything more is sent; a reconnect gets 401. Status: ${pinned("revokedStream")}.`,
);
w(
  `17. **Medium (issue #29): a batch of slow image URLs held the request for minutes, and one batch fanned out into hundreds of fetches of a third party.** \`POST /v1/batches\` fetched its \`image_url\`s 4 at a time with 10 s each and no bound for the whole batch (24 slow URLs: 202 after 51 s); 99 URLs of 3 redirects each plus one 500 sent the target 395 GETs before the 422. Fix (\`worker/batches/fetch-items.ts\`, a \`FetchGuard\` through \`worker/images/fetch-url.ts\`, whose SSRF checks are unchanged): each distinct URL is fetched once, at most 4 requests at a time and 2 to one host, at most 50 redirects for the whole batch, all within one 30 s deadline, and the first failing item aborts the fetches in flight and starts no more (422 \`image_url_unreachable\` naming it, nothing stored). The same 99 + 1 batch now costs at most 50 redirects plus the first requests they cover. Status: ${pinned("batchFetch")}.`,
);
w(
  `18. **Medium (issue #29): anonymous previews were unbounded.** Ten connections sending 3000x2000 JPEGs to \`POST /v1/preview\` got 75 answers in 20 s and no 429, while \`/v1/health\` went from 25 ms to 2.3 s. Fix (\`worker/preview/limit.ts\`): Workers rate-limiting bindings (\`[[ratelimits]]\` in \`wrangler.toml\`): 20 previews per 60 s per client address (\`CF-Connecting-IP\`), 120 per 60 s per key for a request with a valid API key (an unknown one is 401), 429 \`rate_limited\` with \`Retry-After: 60\`. miniflare enforces the bindings locally, so the tests use the real binding; harnesses that flood previews set \`PREVIEW_RATE_LIMIT=off\`, honoured in development only. Status: ${pinned("previewLimit")}.`,
);
w(
  `19. **Low (issue #29): no per-key cap on requests that stay open** (20 event streams accepted, 10 \`Prefer: wait\` requests held 55 s each). Fix (\`worker/auth/concurrency.ts\`, migration \`0009_key_slots.sql\`): a key may hold 10 event streams and 5 \`Prefer: wait\` requests at once; one more is 429 \`rate_limited\` with \`Retry-After: 5\` (a wait before its body is read, nothing stored). Slots are rows in D1 with an expiry, taken by one conditional INSERT: D1 runs writes one at a time on its primary, so the count holds across isolates and locations, and a slot whose isolate died stops counting after its request's longest life. Status: ${pinned("perKeyCaps")}.`,
);
w(
  `20. **Low (issue #29): fixed-window rate limits let a burst through twice at a window's boundary** (200 submissions from second :58: 120 accepted within 3.3 s). Fix (\`worker/auth/rate-limit.ts\`, migration \`0010_rate_limit_buckets.sql\`): token buckets kept as GCRA (one timestamp per scope and key, one conditional upsert): the same burst now gets 60 plus one per second refilled (63); \`Retry-After\` is the time to the next token. Status: ${pinned("tokenBucket")}.`,
);
w(
  `21. **Low (issue #29): duplicate multipart fields were dropped silently** (\`-F outputs=rle -F outputs=overlay\` made \`["mask","overlay"]\`; two \`image\` parts made one job). Fix (\`formFields\` in \`worker/images/read-body.ts\`): the list fields \`outputs\` and \`webhook_events\` count every value; any other repeated field, an option sent as a file, or a second \`image\` part in a job is 400 \`invalid_request\`, nothing stored. Status: ${pinned("duplicateFields")}.`,
);
w(
  `22. **Low (issue #29): a 60,000-field multipart body to \`/v1/batches\` ended in a 500 with a plain-text stack trace and a local path** from \`wrangler dev\`'s proxy ("Network connection lost"): the Worker answered \`too_many_items\` and stopped reading while the body was still arriving (reproduced under \`wrangler dev\`; a chunked 40 MiB body gave the client a reset instead of its 413 the same way). Fix (\`readCapped\` in \`worker/images/read-body.ts\`): an upload refused mid-body is read and dropped up to its limit once more before the answer, so the client receives the JSON 400 or 413. Status: ${pinned("earlyRefusal")}.`,
);
w(
  `23. **Low (issue #29): the demo page sent no security headers.** Fix (\`worker/demo/public/_headers\`, read by Workers static assets): \`Content-Security-Policy\` (its own script, styles and images, \`blob:\` masks, its own origin's API, \`frame-ancestors 'none'\`), \`X-Content-Type-Options: nosniff\`, \`Referrer-Policy: no-referrer\`, \`X-Frame-Options: DENY\`; the browser test checks them and that the CSP blocks nothing the page does. Status: ${pinned("demoHeaders")}.`,
);
w(
  `24. **Low (issue #29, finding 10): a D1 that no migration touched answered 500 \`no such table: api_keys\`.** A first deploy that skipped \`wrangler d1 migrations apply\` (no documented step applied them) failed every request that reads D1 with an opaque 500. Fix: the one \`onError\` (\`worker/errors/index.ts\`) answers D1's "no such table" or "no such column" with 503 \`misconfigured\` naming the missed step (\`wrangler d1 migrations apply DB --remote\`, or \`npm run deploy\`, which applies the migrations before it deploys the Worker). Status: ${pinned("unmigrated")}.`,
);
w();

// corpus
w("## 1. Bad-input corpus");
w();
w(
  "Every case twice: through the shared decoder path in Node (`readImageUpload` then `decodeImage`, as the Worker runs it; for jobs `readImageInfo`, `checkLimits`, `parseJobOptions`, then the GPU service's `decodeImage`) and over HTTP against `node scripts/start.ts` on free ports. After every refused preview a good preview must still succeed. Accepted jobs are followed to their final state.",
);
w();
w("| # | route | case | probes | expected | Node (shared decoder) | Worker (HTTP) | |");
w("|---:|---|---|---|---|---|---|---|");
let n = 0;
for (const [name, c] of Object.entries(corpus)) {
  const nodeTest = find(vitest, "test/reliability/corpus.test.ts", (a) => a.title === `${c.route} ${name}`);
  const workerTest = find(
    vitest,
    "test/reliability/corpus.test.ts",
    (a) =>
      a.ancestorTitles.includes("the corpus against the running Worker") && a.title.includes(` ${name}: `),
  );
  const pass =
    same(c.node, c.expected) &&
    same(c.worker, c.expected) &&
    nodeTest?.status === "passed" &&
    workerTest?.status !== "failed";
  w(
    `| ${++n} | \`${c.route}\` | ${cell(name)} | ${cell(c.note)} | ${outcome(c.expected)} | ${outcome(c.node)} | ${outcome(c.worker)} | ${pass ? "✅" : "❌"} |`,
  );
}
if (n === 0) w("| | | not run | | | | | |");
w();

const table = (file: string, describe: string, heading: string) => {
  const rows = results(vitest, file).filter((a) => a.ancestorTitles.includes(describe) || describe === "*");
  w(`| ${heading} | result | time |`);
  w("|---|---|---:|");
  for (const a of rows) {
    const label = isKnownBug(a) ? `${a.title} (regression test of a fixed finding)` : a.title;
    w(`| ${cell(label)} | ${mark(a.status)} | ${seconds(a)} |`);
  }
  if (rows.length === 0) w("| not run | | |");
  w();
};

w("## 2. Slow and oversized bodies (`test/reliability/corpus.test.ts`)");
w();
table("test/reliability/corpus.test.ts", "slow bodies", "case (expected behaviour)");

w("## 3. Fuzzing (`test/reliability/fuzz.test.ts`, fast-check)");
w();
w(
  "Header parsers 200 runs each, `decodeImage` 50 mutants per format (bit flips, overwrites, insertions, deletions, truncations of valid JPEG/PNG/WebP files, EXIF-rotated ones included), request parsing 300 runs each. Property: a correctly sized value or `InputError`, never another exception. `FUZZ_SEED` replays a failure, `FUZZ_RUNS` scales the runs.",
);
w();
table("test/reliability/fuzz.test.ts", "*", "property");

w("## 4. Abuse, end to end (`test/reliability/corpus.test.ts`)");
w();
table("test/reliability/corpus.test.ts", "abuse, end to end", "case (expected behaviour)");
w(
  "Webhook targets: in development (`ENVIRONMENT=development`, what `npm start` and the tests ask for; a deployed Worker is production) any http(s) receiver is accepted at submit time *by design*, so a local receiver works; production refuses every address that is not globally reachable and internal names (trailing dots included), also behind DNS names and redirects, and answers 503 `dns_unavailable` when the name cannot be checked (`worker/net/url-policy.test.ts`, `worker/webhooks/webhooks.test.ts`, section 6).",
);
w();

w("## 5. Faults (`test/reliability/faults.test.ts`)");
w();
w(
  "The system as separate processes on free ports (fauxqs in the test process, `wrangler dev`, `node gpu-service/main.ts` with a 5 s visibility timeout, 2 s heartbeat, 1 s retry backoff), a webhook receiver on 127.0.0.1 verifying every delivery with the `standardwebhooks` package.",
);
w();
w("| fault | expected | observed | result | time |");
w("|---|---|---|---|---:|");
const faultRows: [string, string, string, (o: Record<string, unknown>) => string][] = [
  [
    "(a)",
    "gpu_killed",
    "GPU service SIGKILLed during inference (queue redelivery): a new GPU service finishes the job exactly once; attempts >= 2; one `job.succeeded` webhook",
    (o) =>
      `${o.status}, attempts ${o.attempts}, redelivered as receive #${o.redelivered_attempt}, ${o.webhooks} webhook`,
  ],
  [
    "(c)",
    "webhook_receiver_down",
    "receiver answers 500, 500, 500, then 200: delivered on the 4th attempt, one webhook-id; deliveries show 3 failed + 1 delivered",
    (o) =>
      `answers ${(o.answers as number[]).join(", ")}; deliveries ${(o.deliveries as string[]).join(", ")}`,
  ],
  [
    "(d)",
    "worker_restarted",
    "Worker (wrangler dev + workerd) SIGKILLed during inference, restarted on the same state: the GPU service keeps the message on network errors and the job completes; mask downloadable; one webhook",
    (o) =>
      `${o.status} after ${o.gpu_attempts} GPU attempt(s)${o.met_dead_worker ? " (the first met the dead Worker and was kept for a retry)" : ""}; Worker down ${o.worker_down_seconds} s; ${o.webhooks} webhook`,
  ],
  [
    "(e) input lost from R2",
    "input_lost",
    "the input's R2 blob deleted before the GPU service reads it: `failed` with a recorded reason, `job.failed` webhook",
    (o) =>
      `${o.status}: \`${(o.error as { code: string })?.code}\` (${cell((o.error as { message: string })?.message)})`,
  ],
  [
    "(e) input lost from R2",
    "gpu_down_at_submit",
    "GPU service down at submit: the job waits in the queue and succeeds when the service is back",
    (o) => `${o.status}`,
  ],
  [
    "(e) SQS down",
    "sqs_down_at_submit",
    "SQS down at submit: 202 and `queued` (R2 and D1 written first); the cron sweep sends it again once SQS is back",
    (o) => `${o.status}`,
  ],
  [
    "no accepted job is lost",
    "summary",
    "every accepted job final (succeeded, or failed with a reason), one delivered webhook each; queue and DLQ empty; GPU /healthz 200",
    (o) => `${o.accepted} accepted: ${o.succeeded} succeeded, ${o.failed} failed with a reason`,
  ],
];
for (const [prefix, key, expectedText, describe] of faultRows) {
  const a = find(vitest, "test/reliability/faults.test.ts", (t) => t.title.startsWith(prefix));
  const o = faults[key];
  w(
    `| ${cell(a?.title ?? prefix)} | ${cell(expectedText)} | ${o ? cell(describe(o)) : "—"} | ${mark(a?.status)} | ${key === "gpu_down_at_submit" ? "" : seconds(a)} |`,
  );
}
w();
w(
  'R2 and D1 *write* failures cannot be injected into `wrangler dev` without changing Worker code. What is covered instead: the accept path writes R2, then D1, then sends to SQS, and answers 202 only after the first two (`worker/jobs/service.ts` `acceptJob`); a failed SQS send leaves the job `queued` without `dispatched_at` and the cron sweep sends it again (fault (e) above end to end, and `worker/internal/routes.test.ts` "sends again a queued job whose message never left"); a job stuck `running` past its deadline goes back to the queue and fails after the last attempt ("the sweep" tests in section 6). An R2 *read* failure was injected by deleting the stored input (fault (e)): the Worker answers 404 and the GPU service records `input_unavailable` without retrying.',
);
w();

w("## 6. Already covered by the workerd tests");
w();
w(
  "These run inside workerd (the real runtime) through `npm test`; they are not duplicated by the reliability suites. Results from this report's run of those files.",
);
w();
w("| file | test | result |");
w("|---|---|---|");
if (workerd) {
  for (const r of workerd.testResults) {
    for (const a of r.assertionResults)
      w(`| \`${rel(r.name)}\` | ${cell([...a.ancestorTitles, a.title].join(" › "))} | ${mark(a.status)} |`);
  }
} else {
  for (const f of WORKERD_TESTS) w(`| \`${f}\` | not run in this report (\`--no-workerd\`) | ⚪ |`);
}
w();

w("## 7. Large outputs (`test/reliability/large-outputs.test.ts`)");
w();
w(
  "The system as separate processes (as in section 5; the GPU service with 2 onnxruntime threads). A job with `outputs=mask,probabilities` must succeed, and its probabilities download must have 11 x W x H bytes summing to about 255 per pixel. Peak memory is each process's VmHWM after the job.",
);
w();
table("test/reliability/large-outputs.test.ts", "*", "case");
w(
  "| image | probabilities | parts | job time | inference | upload | GPU service peak | workerd peak | measured |",
);
w("|---|---:|---:|---:|---:|---:|---:|---:|---|");
for (const [name, o] of Object.entries(largeOutputs)) {
  const t = o.timings_ms as Record<string, number>;
  w(
    `| ${cell(name)} (${o.megapixels} MP) | ${((o.probabilities_bytes as number) / 1e6).toFixed(0)} MB | ${o.parts} | ${o.seconds} s | ${(t.inference / 1000).toFixed(1)} s | ${(t.upload / 1000).toFixed(1)} s | ${o.gpu_service_peak_mb} MB | ${o.workerd_peak_mb} MB | ${o.measured_at ?? ""} |`,
  );
}
if (Object.keys(largeOutputs).length === 0) w("| not run | | | | | | | | |");
w();
w(
  "workerd's peak is the whole process under `wrangler dev`, with the local R2 simulator and the test's download of the probabilities; the Worker isolate itself stays flat during uploads, since bodies stream from the request into R2 (read through the inspector while 130 MiB went up in 3 parts and 60 MiB in one PUT: 7.6 MB before and during, JS heap and ArrayBuffers). The GPU service's peak is onnxruntime on 2048-pixel tiles plus the one (C, H, W) probabilities array.",
);
w();

w("## 8. The local system (`test/reliability/local-system.test.ts`)");
w();
w("`node scripts/start.ts` (what `npm start` runs) on free ports, its cron period shortened to 2 s.");
w();
table("test/reliability/local-system.test.ts", "*", "case");

w("## 9. Deployment and the GPU tier's origin (node project)");
w();
w(
  "`test/reliability/deploy.test.ts` runs the deploy command of infra/README.md with `wrangler deploy --dry-run`; `gpu-service/edge-origin.test.ts` checks that the GPU tier talks to the edge's origin only.",
);
w();
w("| file | test | result |");
w("|---|---|---|");
for (const file of ["test/reliability/deploy.test.ts", "gpu-service/edge-origin.test.ts"]) {
  const all = results(vitest, file);
  if (!all.length) w(`| \`${file}\` | not run in this report | ⚪ |`);
  for (const a of all)
    w(`| \`${file}\` | ${cell([...a.ancestorTitles, a.title].join(" › "))} | ${mark(a.status)} |`);
}
w();

w("## 10. Load (`test/soak/load.ts`)");
w();
if (load) {
  w(
    `On loopback against \`wrangler dev\` (local R2, D1, Queues), measured ${load.generated_at.replace(/\.\d+Z$/, "Z")}: ${load.machine.cpus} CPUs, load average ${load.machine.loadavg_at_start.join(" / ")} at the start (other work was running on the machine), Node ${load.machine.node}. The preview runs the edge model (FCN-32s int8) in workerd; job submission stores the input and queues it (the GPU service is not running, and the per-key rate limit is raised for the run).`,
  );
  w();
  w("| route | connections | duration | requests | throughput | p50 | p90 | p99 | max | errors |");
  w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const p of [load.preview, load.jobs]) {
    w(
      `| ${cell(p.name)} | ${p.connections} | ${Math.round(p.duration_s)} s | ${p.requests} | ${p.throughput_rps} req/s | ${p.latency_ms.p50} ms | ${p.latency_ms.p90} ms | ${p.latency_ms.p99} ms | ${p.latency_ms.max} ms | ${(p.error_rate * 100).toFixed(2)} % |`,
    );
  }
  w();
  const m = load.memory;
  w(
    `Memory (${cell(m.process)}, VmRSS sampled every second over the whole run): start ${m.start_mb} MB, peak ${m.peak_mb} MB, end ${m.end_mb} MB (${m.growth_mb >= 0 ? "+" : ""}${m.growth_mb} MB): ${m.flat ? "**flat**" : "**growing**"}.`,
  );
} else {
  w("Not run yet: `npm run test:soak` writes test/artifacts/load.json.");
}
w();

w("## Design notes");
w();
w(
  "- **Exactly once from at-least-once parts.** SQS delivers at least once and the GPU service deletes a message only after the outputs are stored and the callback accepted; outputs are keyed by job and name (a redo overwrites identical bytes), and the edge answers 409 to any work on a final job, which the GPU service treats as done. Webhooks carry a stable `webhook-id` across retries so receivers can deduplicate.",
);
w(
  "- **Network errors are transient.** The GPU service keeps the message (with a backoff) on network errors and 5xx, fails the job with a reason on client errors (bad image, 4xx on the input) and lets redrive move unparseable messages to the dead-letter queue (`gpu-service/consumer.ts`; fault (d) shows it across a Worker restart).",
);
w(
  "- **Limits before work.** Size limits are enforced from Content-Length and again while streaming; pixel limits from the header before decoding (decompression bombs cost a few bytes of parsing). Jobs check the header at the edge and decode on the GPU tier, so an undecodable image with a valid header is accepted and then fails with its reason.",
);
w();

mkdirSync(path.dirname(DOC), { recursive: true });
writeFileSync(DOC, `${lines.join("\n")}\n`);
console.log(`\nwrote ${rel(DOC)}`);
for (const s of steps) console.log(`  ${s.ok ? "ok    " : "FAILED"} ${s.title} (${s.seconds.toFixed(1)} s)`);
if (steps.some((s) => !s.ok)) process.exit(1);
