import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { z } from "zod";
import { InputError } from "../../models/runtime/errors.ts";
import type { JobCallback } from "../../protocol/jobs.ts";
import { CreatedKey, DemoKey, KeyList, RevokedKey } from "../admin/schemas.ts";
import { app } from "../app.ts";
import { Health, ModelList } from "../health/schemas.ts";
import { CallbackAck, JobCallback as JobCallbackBody, type JobResultSummary } from "../internal/schemas.ts";
import { parseJobOptions } from "../jobs/options.ts";
import { getJob } from "../jobs/repo.ts";
import { Job, JobCreateForm, JobList } from "../jobs/schemas.ts";
import { jobMessage } from "../jobs/service.ts";
import { PreviewResult } from "../preview/schemas.ts";
import { call, fromBase64, newKey, pathOf, postCallback, submit } from "../test/helpers.ts";
import { deliverWebhook } from "../webhooks/deliver.ts";
import { WebhookDeliveryList, WebhookPayload } from "../webhooks/schemas.ts";
import { ErrorBody } from "./schemas.ts";

/** The parts of an OpenAPI 3.1 document these tests read. */
type JsonSchema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema: JsonSchema;
}
interface ResponseDoc {
  description: string;
  content?: Record<string, { schema: JsonSchema }>;
  "x-error-codes"?: string[];
}
interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, ResponseDoc>;
}
type PathItem = Partial<Record<"get" | "post" | "put" | "delete", Operation>>;
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, PathItem>;
  webhooks: Record<string, PathItem>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
}

const images = inject("images");
/** The server the committed document names: the API of `npm start`. */
const LOCAL_SERVER = "http://127.0.0.1:8787";
const png = () => fromBase64(images.png64x48);
const admin_ = { authorization: `Bearer ${env.ADMIN_TOKEN}` };

let doc: OpenApiDocument;
let key: string;
const auth = () => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  const r = await call("/openapi.json");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toContain("application/json");
  doc = await r.json();
  key = (await newKey("openapi")).key;
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Every operation of the document with its method and path. */
const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method, path, op: op as Operation })),
  );

/**
 * "GET /v1/jobs/{id}" for every route the app registers: `use()` middlewares (ALL) left out,
 * and a route with middlewares before its handler (several entries) counted once.
 */
function mountedRoutes(): string[] {
  const routes = app.routes
    .filter((r) => r.method !== "ALL")
    .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
  return [...new Set(routes)];
}

/** The error code and status a response carries, checked against the shared error schema. */
async function errorOf(r: Response): Promise<{ status: number; code: string }> {
  const body = ErrorBody.parse(await r.json());
  return { status: r.status, code: body.error.code };
}

describe("the document", () => {
  it("is OpenAPI 3.1 in shape", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toEqual(expect.any(String));
    expect(doc.info.version).toEqual(expect.any(String));
    expect(doc.servers).toEqual([{ url: "http://edge.test" }]);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    const tags = new Set(doc.tags.map((t) => t.name));
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    const ids = new Set<string>();
    const all = [
      ...operations(),
      ...Object.entries(doc.webhooks).flatMap(([name, item]) =>
        Object.entries(item).map(([method, op]) => ({ method, path: name, op: op as Operation })),
      ),
    ];
    for (const { method, path, op } of all) {
      const where = `${method} ${path}`;
      expect(["get", "post", "put", "delete"], where).toContain(method);
      expect(ids.has(op.operationId), `${where}: duplicate operationId`).toBe(false);
      ids.add(op.operationId);
      expect(op.summary, where).toBeTruthy();
      expect(
        op.tags.every((t) => tags.has(t)),
        where,
      ).toBe(true);
      for (const requirement of op.security) {
        for (const name of Object.keys(requirement))
          expect(schemes.has(name), `${where}: ${name}`).toBe(true);
      }
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, where).toMatch(/^([1-5](\d\d|XX)|default)$/);
        expect(response.description, `${where} ${status}`).toBeTruthy();
      }
      for (const p of op.parameters ?? []) {
        expect(["path", "query", "header"], where).toContain(p.in);
        expect(p.schema, `${where} ${p.name}`).toEqual(expect.any(Object));
      }
      if (doc.paths[path]) {
        // Path templates and path parameters agree.
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        const declared = (op.parameters ?? []).filter((p) => p.in === "path");
        expect(declared.map((p) => p.name).sort(), where).toEqual(templated);
        expect(
          declared.every((p) => p.required),
          where,
        ).toBe(true);
      }
    }
  });

  it("is served by a production Worker without PUBLIC_BASE_URL, naming the origin it was asked at", async () => {
    const production = { ...env, ENVIRONMENT: "production", PUBLIC_BASE_URL: "" };
    const ctx = createExecutionContext();
    const r = await app.fetch(new Request("https://fcn.example.com/openapi.json"), production, ctx);
    await waitOnExecutionContext(ctx);
    expect(r.status).toBe(200);
    const served = (await r.json()) as OpenApiDocument;
    expect(served.servers).toEqual([{ url: "https://fcn.example.com" }]);
    expect(Object.keys(served.paths)).toEqual(Object.keys(doc.paths));
  });

  it("is the committed protocol/openapi.json, which the typed client is generated from", async () => {
    // `npm run gen:client` rewrites it (vitest -u) and regenerates protocol/api-types.ts.
    const committed = { ...doc, servers: [{ url: LOCAL_SERVER }] };
    await expect(`${JSON.stringify(committed, null, 2)}\n`).toMatchFileSnapshot(
      "../../protocol/openapi.json",
    );
  });

  it("resolves every $ref", () => {
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        for (const [k, v] of Object.entries(node)) {
          if (k === "$ref") refs.push(v as string);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\/\w+$/);
      expect(doc.components.schemas[ref.split("/").pop()!], ref).toBeDefined();
    }
  });

  it("lists, for every error answer, the shared error body and its codes", () => {
    for (const { method, path, op } of operations()) {
      expect(op.responses["500"], `${method} ${path}`).toBeDefined();
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const where = `${method} ${path} ${status}`;
        expect(response["x-error-codes"]?.length, where).toBeGreaterThan(0);
        const schema = response.content?.["application/json"].schema as { allOf: unknown[] };
        expect(schema.allOf[0], where).toEqual({ $ref: "#/components/schemas/ErrorBody" });
        for (const code of response["x-error-codes"]!) expect(response.description, where).toContain(code);
      }
    }
  });

  it("describes the webhooks and the security schemes", () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([
      "batch.completed",
      "job.canceled",
      "job.failed",
      "job.started",
      "job.succeeded",
    ]);
    expect(doc.webhooks["batch.completed"].post?.requestBody?.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/BatchWebhookPayload",
    });
    const hook = doc.webhooks["job.succeeded"].post!;
    expect(hook.requestBody?.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/WebhookPayload",
    });
    expect(hook.parameters?.map((p) => p.name)).toEqual([
      "webhook-id",
      "webhook-timestamp",
      "webhook-signature",
    ]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      "adminToken",
      "apiKey",
      "callbackHmac",
      "signedUrl",
    ]);
    expect(doc.paths["/internal/jobs/{id}/callback"].post?.tags).toEqual(["internal"]);
  });

  it("describes both bodies of POST /v1/jobs and /v1/batches: multipart and JSON (issue #17)", () => {
    for (const [path, form, json] of [
      ["/v1/jobs", "JobCreateForm", "JobCreateJson"],
      ["/v1/batches", "BatchCreateForm", "BatchCreateJson"],
    ]) {
      expect(doc.paths[path].post?.requestBody?.content).toEqual({
        "multipart/form-data": { schema: { $ref: `#/components/schemas/${form}` } },
        "application/json": { schema: { $ref: `#/components/schemas/${json}` } },
      });
    }
    expect(doc.components.schemas.JobCreateJson).toMatchObject({ required: ["image_url"] });
  });

  it("takes the job option fields from the schema that validates them", () => {
    const form = doc.components.schemas.JobCreateForm as {
      properties: Record<string, { enum?: string[] }>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(Object.keys(form.properties).sort()).toEqual(
      ["image", ...Object.keys(JobCreateForm.shape).filter((k) => k !== "image")].sort(),
    );
    expect(form.properties.mode.enum).toEqual(["learned", "shift-and-stitch"]);
    expect(form.required).toEqual(["image"]);
    expect(form.additionalProperties).toBe(false);
    expect(doc.components.schemas.CreateKeyRequest).toMatchObject({
      properties: { name: { type: "string", maxLength: 100 } },
    });
  });
});

describe("routes", () => {
  it("documents every mounted route, and mounts every documented one", () => {
    const documented = operations()
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .sort();
    expect(mountedRoutes().sort()).toEqual(documented);
  });

  it("answers every documented route (no route-level 404)", async () => {
    for (const { method, path } of operations()) {
      const concrete = path.replace("{name}", "mask").replace(/\{\w+\}/g, "x");
      const r = await call(concrete, { method: method.toUpperCase() });
      await r.body?.cancel();
      expect(r.status, `${method} ${concrete}`).not.toBe(404);
    }
  });

  it("serves /docs as a Swagger UI page of the document", async () => {
    const r = await call("/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/html");
    expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await r.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("SwaggerUIBundle");
    expect(html).toContain("/openapi.json");
    // The viewer comes from one pinned release, and the page loads nothing else from elsewhere.
    const external = [...html.matchAll(/(?:src|href)="(https?:[^"]+)"/g)].map((m) => m[1]);
    expect(external.length).toBeGreaterThan(0);
    for (const url of external)
      expect(url).toMatch(/^https:\/\/cdn\.jsdelivr\.net\/npm\/swagger-ui-dist@\d+\.\d+\.\d+\//);
  });
});

describe("real responses match the schemas", () => {
  it("health and models", async () => {
    Health.parse(await (await call("/v1/health")).json());
    ModelList.parse(await (await call("/v1/models")).json());
  });

  it("preview JSON", async () => {
    const r = await call("/v1/preview?format=json", {
      method: "POST",
      body: png(),
      headers: { "content-type": "image/png" },
    });
    expect(r.status).toBe(200);
    const body = PreviewResult.parse(await r.json());
    expect([body.width, body.height]).toEqual([64, 48]);
  });

  it("a job through its life: submit, list, read, deliveries, outputs, callback, webhook, cancel", async () => {
    const submitted = await submit(key, png(), {
      outputs: "probabilities",
      webhook_url: "http://127.0.0.1:9/hook",
    });
    expect(submitted.status).toBe(202);
    const job = Job.parse(await submitted.json());
    expect(job).toMatchObject({ status: "queued", outputs: ["mask", "probabilities"], result: null });

    const list = JobList.parse(await (await call("/v1/jobs?limit=5", { headers: auth() })).json());
    expect(list.data.map((j) => j.id)).toContain(job.id);

    // The GPU tier's side, with the URLs the job message carries.
    const message = await jobMessage(env, (await getJob(env.DB, job.id))!);
    const input = await call(pathOf(message.input.url));
    expect(input.status).toBe(200);
    await input.body?.cancel();
    for (const [name, target] of Object.entries(message.outputs)) {
      const put = await call(pathOf(target.url), {
        method: "PUT",
        body: png(),
        headers: { "content-type": target.content_type },
      });
      expect(put.status, name).toBe(204);
    }
    const result = {
      model: "fcn8s",
      width: 64,
      height: 48,
      class_fractions: [0.5, 0.5],
      outputs: ["mask", "probabilities"],
      timings_ms: { queue_wait: 1, download: 1, decode: 1, inference: 1, upload: 1, total: 5 },
      provider: "cpu",
    } satisfies z.input<typeof JobResultSummary>;
    const callback: JobCallback = JobCallbackBody.parse({
      job_id: job.id,
      status: "succeeded",
      attempt: 1,
      result,
    });
    const ack = await postCallback(job.id, callback);
    expect(ack.status).toBe(200);
    CallbackAck.parse(await ack.json());

    const done = Job.parse(await (await call(`/v1/jobs/${job.id}`, { headers: auth() })).json());
    expect(done.status).toBe("succeeded");
    const mask = await call(pathOf(done.result!.mask_url));
    expect(mask.status).toBe(200);
    expect(mask.headers.get("content-type")).toBe("image/png");
    await mask.body?.cancel();

    // The webhook it sends, and the delivery record.
    let sent: { body: string; headers: Headers } | undefined;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      sent = { body: String(init?.body), headers: new Headers(init?.headers) };
      return new Response("ok");
    });
    const delivery = await deliverWebhook(
      env,
      {
        job_id: job.id,
        event: "job.succeeded",
        webhook_id: `msg_${job.id}_succeeded`,
      },
      1,
    );
    expect(delivery.outcome).toBe("delivered");
    const payload = WebhookPayload.parse(JSON.parse(sent!.body));
    expect(payload).toMatchObject({ type: "job.succeeded", data: { id: job.id, status: "succeeded" } });
    for (const name of doc.webhooks["job.succeeded"].post!.parameters!.map((p) => p.name))
      expect(sent!.headers.get(name), name).toBeTruthy();
    const deliveries = WebhookDeliveryList.parse(
      await (await call(`/v1/jobs/${job.id}/deliveries`, { headers: auth() })).json(),
    );
    expect(deliveries.data).toHaveLength(1);

    const queued = Job.parse(await (await submit(key, png())).json());
    const canceled = await call(`/v1/jobs/${queued.id}`, { method: "DELETE", headers: auth() });
    expect(Job.parse(await canceled.json()).status).toBe("canceled");
  });

  it("admin keys and the demo key", async () => {
    const created = await call("/v1/admin/keys", {
      method: "POST",
      headers: { ...admin_, "content-type": "application/json" },
      body: JSON.stringify({ name: "schema" }),
    });
    expect(created.status).toBe(201);
    const made = CreatedKey.parse(await created.json());
    expect(made.name).toBe("schema");
    const unnamed = await call("/v1/admin/keys", { method: "POST", headers: admin_ });
    expect(CreatedKey.parse(await unnamed.json()).name).toBe("unnamed");
    const list = KeyList.parse(await (await call("/v1/admin/keys", { headers: admin_ })).json());
    expect(list.data.map((k) => k.id)).toContain(made.id);
    const revoked = await call(`/v1/admin/keys/${made.id}`, { method: "DELETE", headers: admin_ });
    RevokedKey.parse(await revoked.json());
    DemoKey.parse(await (await call("/v1/demo/key")).json());
  });

  it("the create-key body is validated by its schema", async () => {
    const post = (body: string) =>
      call("/v1/admin/keys", {
        method: "POST",
        headers: { ...admin_, "content-type": "application/json" },
        body,
      });
    for (const body of [
      "not json",
      "null",
      JSON.stringify({ name: 5 }),
      JSON.stringify({ name: "x".repeat(101) }),
    ]) {
      expect(await errorOf(await post(body)), body).toEqual({ status: 400, code: "invalid_request" });
    }
    expect((await post(JSON.stringify({ name: "x".repeat(100), extra: true }))).status).toBe(201);
    expect((await post("{}")).status).toBe(201);
  });

  it("errors answer the shared body with a status and code the document lists for the route", async () => {
    const cases: [string, () => Promise<Response>][] = [
      ["createJob", () => call("/v1/jobs", { method: "POST" })],
      [
        "createJob",
        () =>
          call("/v1/jobs", {
            method: "POST",
            body: png(),
            headers: { ...auth(), "content-type": "image/png" },
          }),
      ],
      ["createJob", () => submit(key, png(), { colour: "red" })],
      ["createJob", () => submit(key, png(), { webhook_url: "not a url" })],
      ["createJob", () => submit(key, new Uint8Array())],
      ["listJobs", () => call("/v1/jobs?limit=0", { headers: auth() })],
      ["getJob", () => call("/v1/jobs/job_nope", { headers: auth() })],
      ["cancelJob", () => call("/v1/jobs/job_nope", { method: "DELETE", headers: auth() })],
      ["listJobDeliveries", () => call("/v1/jobs/job_nope/deliveries", { headers: auth() })],
      ["getJobOutput", () => call("/v1/jobs/job_nope/outputs/mask?exp=1&sig=00")],
      [
        "createKey",
        () =>
          call("/v1/admin/keys", {
            method: "POST",
            headers: { ...admin_, "content-type": "application/json" },
            body: "[",
          }),
      ],
      ["revokeKey", () => call("/v1/admin/keys/key_nope", { method: "DELETE", headers: admin_ })],
      ["listKeys", () => call("/v1/admin/keys")],
      [
        "preview",
        () =>
          call("/v1/preview", {
            method: "POST",
            body: new Uint8Array(),
            headers: { "content-type": "image/png" },
          }),
      ],
      [
        "preview",
        () =>
          call("/v1/preview?format=gif", {
            method: "POST",
            body: png(),
            headers: { "content-type": "image/png" },
          }),
      ],
      [
        "preview",
        () => call("/v1/preview", { method: "POST", body: "hi", headers: { "content-type": "text/plain" } }),
      ],
      ["getJobInput", () => call("/internal/jobs/job_nope/input")],
      ["putJobOutput", () => call("/internal/jobs/job_nope/outputs/mask", { method: "PUT", body: png() })],
      ["postJobCallback", () => call("/internal/jobs/job_nope/callback", { method: "POST", body: "{}" })],
    ];
    const byId = new Map(operations().map(({ op }) => [op.operationId, op]));
    for (const [operationId, send] of cases) {
      const { status, code } = await errorOf(await send());
      const documented = byId.get(operationId)!.responses[String(status)];
      expect(documented, `${operationId} answered ${status} ${code}`).toBeDefined();
      expect(documented["x-error-codes"], `${operationId} answered ${status} ${code}`).toContain(code);
    }
  });
});

describe("parseJobOptions (validated by its zod schema)", () => {
  const fails = (fields: Record<string, string>) => {
    try {
      parseJobOptions(fields);
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return { code: (error as InputError).code, message: (error as InputError).message };
    }
    throw new Error(`accepted ${JSON.stringify(fields)}`);
  };

  it("fills in defaults and reads lists in every syntax", () => {
    expect(parseJobOptions({})).toEqual({
      mode: "learned",
      quality: "standard",
      outputs: ["mask"],
      webhookUrl: null,
      webhookEvents: ["job.succeeded", "job.failed"],
    });
    for (const outputs of [
      "probabilities",
      "mask,probabilities",
      "probabilities mask mask",
      '["probabilities"]',
    ])
      expect(parseJobOptions({ outputs }).outputs, outputs).toEqual(["mask", "probabilities"]);
    expect(parseJobOptions({ outputs: "", webhook_events: "" })).toMatchObject({
      outputs: ["mask"],
      webhookEvents: ["job.succeeded", "job.failed"],
    });
    expect(
      parseJobOptions({
        mode: "shift-and-stitch",
        quality: "high",
        webhook_url: " https://hooks.example.com/x ",
        webhook_events: "job.failed, job.failed",
      }),
    ).toEqual({
      mode: "shift-and-stitch",
      quality: "high",
      outputs: ["mask"],
      webhookUrl: "https://hooks.example.com/x",
      webhookEvents: ["job.failed"],
    });
  });

  it("refuses with invalid_request and the same messages as before", () => {
    const refused: [Record<string, string>, string][] = [
      [{ colour: "red", mode: "magic" }, 'unknown field "colour"'],
      [{ mode: "magic" }, "mode must be one of learned, shift-and-stitch"],
      [{ quality: "ultra" }, "quality must be one of standard, high"],
      [{ mode: "" }, "mode must be one of learned, shift-and-stitch"],
      [{ outputs: "mask,depth" }, "outputs may contain mask, probabilities, rle, overlay"],
      [{ outputs: '["mask"' }, "outputs is not valid JSON"],
      [{ outputs: "[1]" }, "outputs must be a list of strings"],
      [
        { webhook_events: "[]" },
        "webhook_events may contain job.started, job.succeeded, job.failed, job.canceled",
      ],
      [
        { webhook_events: "job.exploded" },
        "webhook_events may contain job.started, job.succeeded, job.failed, job.canceled",
      ],
      [{ webhook_url: "x".repeat(2049) }, "webhook_url is too long"],
    ];
    for (const [fields, message] of refused) {
      expect(fails(fields), JSON.stringify(fields).slice(0, 60)).toEqual({
        code: "invalid_request",
        message,
      });
    }
    expect(parseJobOptions({ webhook_url: ` ${"x".repeat(2048)} ` }).webhookUrl).toHaveLength(2048);
  });
});
