/**
 * Routes for the GPU tier, authorised per request: signed URLs (input read, output write)
 * and the completion callback, signed with Standard Webhooks and CALLBACK_SECRET. Nothing here accepts an API key.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  JOB_OUTPUT_NAMES,
  type JobCallback,
  type JobOutputName,
  jobCallbackSchema,
  OUTPUT_PART_BYTES,
} from "../../protocol/jobs.ts";
import {
  isStaleTimestamp,
  verifyWebhook,
  WebhookVerificationError,
} from "../../protocol/standard-webhooks.ts";
import { callbackSecret } from "../config.ts";
import { ApiError } from "../errors/index.ts";
import { readCapped } from "../images/read-body.ts";
import { getJob, type JobRow } from "../jobs/repo.ts";
import { JobIdPath, OutputNamePath } from "../jobs/schemas.ts";
import { applyCallback, outputKey } from "../jobs/service.ts";
import { requireSignedUrl } from "../jobs/signed-urls.ts";
import { isFinal } from "../jobs/state.ts";
import { createApp } from "../openapi/app.ts";
import { type ErrorDoc, errors, IMAGE_BODY, OUTPUT_BODY, signedUrlRefused } from "../openapi/responses.ts";
import { SignedUrlQuery } from "../openapi/schemas.ts";
import type { AppEnv } from "../types.ts";
import { claimCallbackId } from "./nonces.ts";
import { abortUpload, completeUpload, createUpload, putOutput, uploadPart } from "./outputs.ts";
import {
  CallbackAck,
  CallbackHeaders,
  JobCallback as JobCallbackBody,
  OutputAbortQuery,
  OutputPartQuery,
  OutputUploadComplete,
  OutputUploadCreated,
  OutputUploadPart,
  OutputUploadQuery,
} from "./schemas.ts";

export const internal = createApp();

async function jobFor(env: Env, id: string): Promise<JobRow> {
  const row = await getJob(env.DB, id);
  if (!row) throw new ApiError(404, "not_found", `no job ${id}`);
  return row;
}

/** A finished or canceled job takes no more work: the GPU service reads 409 as "done". */
function refuseIfFinal(row: JobRow): void {
  if (isFinal(row.status)) {
    throw new ApiError(
      409,
      row.status === "canceled" ? "job_canceled" : "already_completed",
      `the job is ${row.status}`,
    );
  }
}

const tags = ["internal"];
const signedUrl = [{ signedUrl: [] }];
const noMoreWork: ErrorDoc = {
  codes: ["already_completed", "job_canceled"],
  description: "the job takes no more work",
};
const PART_MIB = OUTPUT_PART_BYTES / (1024 * 1024);

// Bodies the GPU tier sends are described by reference, and read by the routes themselves
// (streamed into storage, or checked against a signature over the exact bytes).
internal.openAPIRegistry.register("OutputUploadComplete", OutputUploadComplete);
internal.openAPIRegistry.register("JobCallback", JobCallbackBody);

internal.openapi(
  createRoute({
    method: "get",
    path: "/jobs/{id}/input",
    tags,
    operationId: "getJobInput",
    summary: "Read a job's input (GPU tier)",
    description: "Signed URL from the job message (`input.url`).",
    security: signedUrl,
    middleware: [requireSignedUrl("GET")] as const,
    request: { params: JobIdPath, query: SignedUrlQuery },
    responses: {
      200: { description: "the stored image", content: IMAGE_BODY },
      ...errors({
        403: signedUrlRefused,
        404: { codes: ["not_found"], description: "no such job, or its input is gone" },
        409: noMoreWork,
      }),
    },
  }),
  async (c) => {
    const row = await jobFor(c.env, c.req.valid("param").id);
    refuseIfFinal(row);
    const object = await c.env.BUCKET.get(row.input_key);
    if (!object) throw new ApiError(404, "not_found", "the input is gone");
    return new Response(object.body, {
      headers: { "content-type": row.input_type, "content-length": String(object.size) },
    });
  },
);

/** The job and the storage key a signed output URL may write. */
async function outputTarget(c: Context<AppEnv>, id: string, name: string): Promise<string> {
  if (!JOB_OUTPUT_NAMES.includes(name as JobOutputName))
    throw new ApiError(404, "not_found", `no output named ${name}`);
  const row = await jobFor(c.env, id);
  refuseIfFinal(row);
  // Keyed by job and output name: a redelivered job overwrites with the same bytes.
  return outputKey(row.id, name as JobOutputName);
}

const outputErrors = { 403: signedUrlRefused, 409: noMoreWork };

// One signature (PUT on the output's path) authorises every request of an upload.
internal.openapi(
  createRoute({
    method: "put",
    path: "/jobs/{id}/outputs/{name}",
    tags,
    operationId: "putJobOutput",
    summary: "Write a job's output, or one part of it (GPU tier)",
    description:
      "Signed URL from the job message (`outputs[name].url`). Without `upload_id`: the whole output, " +
      `up to ${PART_MIB} MiB. With \`upload_id\` and \`part_number\`: one part of a multipart upload ` +
      `(every part but the last of one size, at least 5 MiB, at most ${PART_MIB} MiB). The body needs a ` +
      "Content-Length: it is streamed into storage.",
    security: signedUrl,
    middleware: [requireSignedUrl("PUT")] as const,
    request: {
      params: OutputNamePath,
      query: OutputPartQuery,
      body: { required: true, content: OUTPUT_BODY },
    },
    responses: {
      200: {
        description: "the part is stored",
        content: { "application/json": { schema: OutputUploadPart } },
      },
      204: { description: "stored" },
      ...errors({
        ...outputErrors,
        400: {
          codes: ["empty_body", "invalid_request"],
          description: "the output is empty; a bad part_number",
        },
        404: { codes: ["not_found"], description: "no such job or output name" },
        411: { codes: ["length_required"], description: "no Content-Length" },
        413: { codes: ["payload_too_large"], description: `more than ${PART_MIB} MiB in one body` },
      }),
    },
  }),
  async (c) => {
    const { id, name } = c.req.valid("param");
    const { upload_id: uploadId, part_number: partNumber } = c.req.valid("query");
    const key = await outputTarget(c, id, name);
    if (uploadId === undefined) {
      await putOutput(c.env.BUCKET, key, c.req.raw);
      return c.body(null, 204);
    }
    return c.json(await uploadPart(c.env.BUCKET, key, uploadId, partNumber, c.req.raw), 200);
  },
);

internal.openapi(
  createRoute({
    method: "post",
    path: "/jobs/{id}/outputs/{name}",
    tags,
    operationId: "postJobOutputUpload",
    summary: "Start or complete a multipart output upload (GPU tier)",
    description:
      "For outputs over one body (the probabilities of large images). The output's signed URL, signed " +
      "for PUT, with `uploads` starts an upload; with `upload_id` and the list of parts it completes it.",
    security: signedUrl,
    middleware: [requireSignedUrl("PUT")] as const,
    request: {
      params: OutputNamePath,
      query: OutputUploadQuery,
      body: {
        required: false,
        description: "to complete: every part",
        content: { "application/json": { schema: { $ref: "#/components/schemas/OutputUploadComplete" } } },
      },
    },
    responses: {
      200: { description: "started", content: { "application/json": { schema: OutputUploadCreated } } },
      204: { description: "completed: the output is stored" },
      ...errors({
        ...outputErrors,
        400: { codes: ["invalid_request"], description: "the list of parts is not JSON like the schema" },
        404: { codes: ["not_found"], description: "no such job or output name, or neither query" },
        413: { codes: ["payload_too_large"], description: "a body over 64 KiB" },
      }),
    },
  }),
  async (c) => {
    const { id, name } = c.req.valid("param");
    const { upload_id: uploadId, uploads } = c.req.valid("query");
    const key = await outputTarget(c, id, name);
    if (uploadId !== undefined) {
      await completeUpload(c.env.BUCKET, key, uploadId, c.req.raw);
      return c.body(null, 204);
    }
    if (uploads === undefined) throw new ApiError(404, "not_found", "POST url&uploads starts an upload");
    const contentType = c.req.header("content-type") ?? "application/octet-stream";
    return c.json({ upload_id: await createUpload(c.env.BUCKET, key, contentType) }, 200);
  },
);

internal.openapi(
  createRoute({
    method: "delete",
    path: "/jobs/{id}/outputs/{name}",
    tags,
    operationId: "abortJobOutputUpload",
    summary: "Abort a multipart output upload (GPU tier)",
    security: signedUrl,
    middleware: [requireSignedUrl("PUT")] as const,
    request: { params: OutputNamePath, query: OutputAbortQuery },
    responses: {
      204: { description: "aborted: its parts are gone" },
      ...errors({
        ...outputErrors,
        404: { codes: ["not_found"], description: "no such job or output name, or no upload_id" },
      }),
    },
  }),
  async (c) => {
    const { id, name } = c.req.valid("param");
    const key = await outputTarget(c, id, name);
    const uploadId = c.req.valid("query").upload_id;
    if (!uploadId) throw new ApiError(404, "not_found", "DELETE url&upload_id=U aborts an upload");
    await abortUpload(c.env.BUCKET, key, uploadId);
    return c.body(null, 204);
  },
);

/** A signed body is trusted to come from the GPU tier, not to be well formed: parse it whole. */
function parseCallback(body: string): JobCallback {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ApiError(400, "invalid_request", "the callback body is not JSON");
  }
  const parsed = jobCallbackSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "body";
    throw new ApiError(400, "invalid_request", `invalid callback: ${where}: ${issue.message}`);
  }
  return parsed.data;
}

internal.openapi(
  createRoute({
    method: "post",
    path: "/jobs/{id}/callback",
    tags,
    operationId: "postJobCallback",
    summary: "Report a job's progress or result (GPU tier)",
    description:
      "Signed with Standard Webhooks and CALLBACK_SECRET (see the headers). 409 `already_completed` means the " +
      "job is done: the GPU tier treats it as success. A `progress` report that would move the job back (an " +
      "earlier stage or a lower fraction), or arrives while it is not running, is answered 200 and ignored.",
    security: [{ callbackHmac: [] }],
    request: {
      params: JobIdPath,
      headers: CallbackHeaders,
      body: {
        required: true,
        content: { "application/json": { schema: { $ref: "#/components/schemas/JobCallback" } } },
      },
    },
    responses: {
      200: { description: "applied", content: { "application/json": { schema: CallbackAck } } },
      ...errors({
        400: {
          codes: ["invalid_request", "job_mismatch"],
          description: "the body is not JSON, has an unknown status, or names another job",
        },
        401: {
          codes: ["invalid_signature", "stale_callback"],
          description: "missing or wrong signature headers, or a timestamp outside 300 s",
        },
        404: { codes: ["not_found"], description: "no such job" },
        409: {
          codes: ["replayed_callback", "already_completed", "missing_outputs"],
          description:
            "the callback id was used before; the job is already final; or success was reported before every output was PUT",
        },
        413: { codes: ["payload_too_large"], description: "a body over 1 MiB" },
      }),
    },
  }),
  async (c) => {
    const body = new TextDecoder().decode(await readCapped(c.req.raw.body, 1024 * 1024));
    try {
      verifyWebhook(callbackSecret(c.env), c.req.raw.headers, body);
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      if (isStaleTimestamp(error))
        throw new ApiError(401, "stale_callback", "the callback timestamp is outside the tolerance");
      throw new ApiError(
        401,
        "invalid_signature",
        `the callback signature does not verify: ${error.message}`,
      );
    }
    // Verified, so the id is the GPU tier's own: a second use is a replay.
    const id = c.req.valid("header")["webhook-id"] ?? "";
    if (!(await claimCallbackId(c.env.DB, id, new Date().toISOString())))
      throw new ApiError(409, "replayed_callback", "this callback id was already used");
    const callback = parseCallback(body);
    if (callback.job_id !== c.req.valid("param").id)
      throw new ApiError(400, "job_mismatch", "the callback names another job");
    const row = await jobFor(c.env, callback.job_id);
    const outcome = await applyCallback(c.env, row, callback);
    if (outcome === "already_completed")
      throw new ApiError(409, "already_completed", `the job is already ${row.status}`);
    if (outcome === "missing_outputs")
      throw new ApiError(409, "missing_outputs", "upload every output before reporting success");
    // Progress reports come several a second: only the transitions are worth a log line.
    if (callback.status !== "progress")
      console.log(
        JSON.stringify({ level: "info", msg: "callback", job_id: row.id, status: callback.status }),
      );
    return c.json({ ok: true as const }, 200);
  },
);
