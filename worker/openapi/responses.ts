/**
 * Pieces of route declarations that every feature shares: the error answers (the shared
 * body, narrowed to the codes a status can carry, also listed as `x-error-codes`), binary
 * payloads, and response headers.
 */
import type { ResponseConfig } from "@asteasolutions/zod-to-openapi";
import { IMAGE_CONTENT_TYPES } from "../../models/runtime/image-info.ts";
import { OUTPUT_CONTENT_TYPES } from "../../protocol/jobs.ts";

type HeaderObject = { description: string; schema: { type: "string" | "integer" } };

export const header = (description: string, type: "string" | "integer" = "string"): HeaderObject => ({
  description,
  schema: { type },
});

/** A body of bytes, described rather than validated (routes stream or cap it themselves). */
export const binary = (description: string) => ({
  schema: { type: "string" as const, format: "binary", description },
});

/** Error answers of one status: the codes (`error.code`) it can carry. */
export interface ErrorDoc {
  codes: string[];
  description?: string;
  headers?: Record<string, HeaderObject>;
}

const INTERNAL_ERROR: ErrorDoc = {
  codes: ["internal_error"],
  description: "a fault on our side; it has been logged",
};

/** A deployment fault any route can meet: a D1 no migration prepared (worker/errors/index.ts). */
const MISCONFIGURED: ErrorDoc = {
  codes: ["misconfigured"],
  description: "the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations)",
};

/** The error responses of a route, plus the 500 and 503 every route can answer. */
export function errors(docs: Record<number, ErrorDoc>): Record<number, ResponseConfig> {
  const out: Record<number, ResponseConfig> = {};
  const withShared = { ...docs, 500: INTERNAL_ERROR, 503: docs[503] ?? MISCONFIGURED };
  for (const [status, doc] of Object.entries(withShared)) {
    const codes = doc.codes.map((c) => `\`${c}\``).join(", ");
    const response = {
      description: `${doc.description ?? `error ${status}`}. \`error.code\`: ${codes}`,
      ...(doc.headers ? { headers: doc.headers } : {}),
      content: {
        "application/json": {
          schema: {
            allOf: [
              { $ref: "#/components/schemas/ErrorBody" },
              {
                type: "object" as const,
                properties: { error: { type: "object" as const, properties: { code: { enum: doc.codes } } } },
              },
            ],
          },
        },
      },
      // An extension: zod-to-openapi copies a response's other fields into the document.
      "x-error-codes": doc.codes,
    };
    out[Number(status)] = response as ResponseConfig;
  }
  return out;
}

export const WWW_AUTHENTICATE = { "WWW-Authenticate": header('`Bearer realm="fcn"`') };

export const unauthorized = (what: string): ErrorDoc => ({
  codes: ["unauthorized"],
  description: `${what} missing, unknown or revoked`,
  headers: WWW_AUTHENTICATE,
});

/** Headers every answer of a rate-limited route carries (worker/auth/rate-limit.ts sets them). */
export const RATE_LIMIT_HEADERS = {
  "RateLimit-Limit": header(
    "requests allowed per minute and key (a burst of this many, then refilled evenly)",
    "integer",
  ),
  "RateLimit-Remaining": header("requests the key may send right now", "integer"),
};

/** The 429 of a rate-limited route; `what` names what is counted, e.g. "submissions". */
export const rateLimited = (what: string): ErrorDoc => ({
  codes: ["rate_limited"],
  description: `too many ${what}: the key's bucket is empty (it refills one request every 60/limit s)`,
  headers: {
    "Retry-After": header("seconds until the next request is allowed", "integer"),
    ...RATE_LIMIT_HEADERS,
  },
});

export const signedUrlRefused: ErrorDoc = {
  codes: ["invalid_signature", "url_expired"],
  description: "the URL is not signed, its signature does not match, or it has expired",
};

/** An image upload's body, one entry per accepted Content-Type (image-info.ts). */
export const IMAGE_BODY = Object.fromEntries(
  IMAGE_CONTENT_TYPES.map((type) => [type, binary(`${type.slice(6).toUpperCase()} bytes`)]),
);

export const MASK_PNG = binary("palette PNG: pixel value = class id, palette = class colours");

/** A job output's body, by its content type (protocol/jobs.ts OUTPUT_CONTENT_TYPES). */
export const OUTPUT_BODY = {
  [OUTPUT_CONTENT_TYPES.mask]: MASK_PNG,
  [OUTPUT_CONTENT_TYPES.probabilities]: binary("uint8 (C, H, W): round(255 * probability)"),
  [OUTPUT_CONTENT_TYPES.rle]: {
    schema: {
      type: "object" as const,
      description:
        "`{ size: [height, width], classes: [{ id, name, counts }] }`: each class present as COCO RLE, " +
        "compressed counts, column-major (pycocotools' `decode` reads `{ size, counts }`)",
    },
  },
  [OUTPUT_CONTENT_TYPES.overlay]: binary(
    "JPEG: the image blended with the class colours, at its displayed size",
  ),
};

/** 400, 413, 415 and 422 of a route that reads an image upload. */
export const imageUploadErrors = (limits: {
  maxBytes: number;
  maxDecodeBytes?: number;
}): Record<number, ErrorDoc> => ({
  400: {
    codes: ["empty_body", "unreadable_image", "invalid_request"],
    description: "the body is empty, the image header or data cannot be read, or the request is malformed",
  },
  413: {
    codes: ["payload_too_large"],
    description: `the image is larger than ${limits.maxBytes / (1024 * 1024)} MiB`,
  },
  415: {
    codes: ["unsupported_media_type"],
    description: `neither ${IMAGE_CONTENT_TYPES.join(", ")} nor multipart/form-data, or not such an image (JPEG XL, GIF, animated HEIF/AVIF)`,
  },
  422: {
    codes: ["too_many_pixels"],
    description: limits.maxDecodeBytes
      ? "more pixels (or a longer side) than the limit, or more than the memory limit allows for this kind of image"
      : "more pixels (or a longer side) than the limit",
  },
});
