/**
 * The zod schemas every feature shares: the error body, the pieces several features' schemas
 * are built of (timestamps, counts, class colours, an uploaded image part) and the query of a
 * signed URL, and the helpers that name a schema as a document component. Each feature's own
 * schemas live in its folder (`jobs/schemas.ts`, `batches/schemas.ts`, ...); its routes validate
 * with them and its tests parse real responses with them.
 */
import { z } from "@hono/zod-openapi";
import { IMAGE_CONTENT_TYPES, IMAGE_TYPE_NAMES } from "../../models/runtime/image-info.ts";

/** A schema that becomes `#/components/schemas/<id>` in the document. */
export function component<T extends z.ZodType>(id: string, schema: T, description: string): T {
  return registered(id, schema.describe(description));
}

/** Name a schema that already carries its description (e.g. one from protocol/). */
export function registered<T extends z.ZodType>(id: string, schema: T): T {
  return schema.openapi(id) as T;
}

/** An ISO 8601 time, as every answer gives times. */
export const timestamp = () => z.iso.datetime();
/** A whole number from 0. */
export const count = () => z.number().int().nonnegative();

// ---------------------------------------------------------------------------------------
// Errors

export const ErrorBody = component(
  "ErrorBody",
  z.object({
    error: z.object({
      code: z.string().describe("machine-readable, stable (e.g. `invalid_request`)"),
      message: z.string().describe("for humans; may change"),
    }),
  }),
  "Every error answers with this body. Each operation lists the codes it can answer.",
);

// ---------------------------------------------------------------------------------------
// Pieces of several features' schemas

/** A class colour, as the models and the preview name it. */
export const Rgb = z
  .tuple([
    z.number().int().min(0).max(255),
    z.number().int().min(0).max(255),
    z.number().int().min(0).max(255),
  ])
  .describe("RGB colour");

const MiB = 1024 * 1024;
/** An uploaded image part of a multipart body, described with its limits. */
export const imageFile = (limits: {
  maxBytes: number;
  maxPixels: number;
  maxSide: number;
  maxDecodeBytes?: number;
}) =>
  z
    .file()
    .mime([...IMAGE_CONTENT_TYPES])
    // zod-to-openapi has no mapping for files: a file part is a binary string.
    .openapi({
      type: "string",
      format: "binary",
      description:
        `the image: ${IMAGE_TYPE_NAMES}, up to ${limits.maxBytes / MiB} MiB and ` +
        `${limits.maxPixels / 1e6} megapixels (${limits.maxSide} per side)` +
        (limits.maxDecodeBytes ? ", fewer for the codings whose decoders need more memory" : ""),
    });

/** What a signed URL carries; the route's middleware checks it before anything else. */
export const SignedUrlQuery = z.object({
  exp: z.string().openapi({ type: "integer", description: "expiry, unix seconds" }),
  sig: z.string().describe('hex HMAC-SHA256 of "METHOD path exp"'),
});
