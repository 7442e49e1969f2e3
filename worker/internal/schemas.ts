/**
 * The schemas of /internal, the GPU tier's side: the signed callbacks (declared in protocol/,
 * which both tiers parse with, and named here) and the multipart output uploads.
 */
import { z } from "@hono/zod-openapi";
import { jobCallbackSchema, jobResultSummarySchema, MAX_OUTPUT_PARTS } from "../../protocol/jobs.ts";
import { component, registered, SignedUrlQuery } from "../openapi/schemas.ts";

// The callback's schemas live in protocol/ (the edge validates callbacks with them); the
// document registers those same instances.
export const JobResultSummary = registered("JobResultSummary", jobResultSummarySchema);

export const JobCallback = registered("JobCallback", jobCallbackSchema);

export const CallbackAck = component("CallbackAck", z.object({ ok: z.literal(true) }), "Applied.");

export const OutputUploadCreated = component(
  "OutputUploadCreated",
  z.object({ upload_id: z.string().describe("names the upload in its later requests") }),
  "A multipart output upload has started.",
);

export const OutputUploadPart = component(
  "OutputUploadPart",
  z.object({ part_number: z.number().int().min(1).max(MAX_OUTPUT_PARTS), etag: z.string() }),
  "A stored part: list it when completing the upload.",
);

export const OutputUploadComplete = component(
  "OutputUploadComplete",
  z.object({ parts: z.array(OutputUploadPart).min(1).max(MAX_OUTPUT_PARTS) }),
  "Every part of the upload, in order.",
);

/** The output's signed URL (signed for PUT) with the request's part of a multipart upload. */
export const OutputPartQuery = SignedUrlQuery.extend({
  upload_id: z.string().optional().describe("the upload (absent: the whole output in one body)"),
  // Checked by the upload code, whose messages the GPU tier logs.
  part_number: z
    .string()
    .optional()
    .openapi({ type: "integer", minimum: 1, maximum: MAX_OUTPUT_PARTS, description: "with upload_id" }),
});
export const OutputUploadQuery = SignedUrlQuery.extend({
  uploads: z.string().optional().describe("present: start an upload"),
  upload_id: z.string().optional().describe("present: complete this upload"),
});
export const OutputAbortQuery = SignedUrlQuery.extend({
  // Optional here: without it the route answers 404, as it always has.
  upload_id: z.string().optional().describe("the upload to abort (required)"),
});

/** Optional to the validator: a missing signature header is a 401, answered by the route. */
export const CallbackHeaders = z.object({
  "webhook-id": z.string().optional().describe("unique per callback; a reused id is refused as a replay"),
  "webhook-timestamp": z
    .string()
    .optional()
    .openapi({ type: "integer", description: "unix seconds; must be within 300 s of the edge's clock" }),
  "webhook-signature": z
    .string()
    .optional()
    .describe(
      '`v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with CALLBACK_SECRET (Standard Webhooks)',
    ),
});
