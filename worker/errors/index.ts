/**
 * Every error leaves the Worker as `{ "error": { "code", "message" } }`. Routes throw
 * ApiError (an HTTPException with a machine-readable code) or InputError (from the shared
 * image code); a database no migration prepared is the deployment's fault: 503 `misconfigured`
 * naming the missed step; anything else is our fault: a logged 500 that reveals nothing.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { InputError } from "../../models/runtime/errors.ts";

export class ApiError extends HTTPException {
  readonly code: string;
  constructor(status: ContentfulStatusCode, code: string, message: string, headers?: Record<string, string>) {
    super(status, { message, res: headers ? new Response(null, { headers }) : undefined });
    this.code = code;
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * D1's refusal of a statement on a table or column no migration created: a deployment whose
 * database was never migrated (or missed the latest migration), not a fault in the request.
 */
const MISSING_SCHEMA = /\bno such (?:table|column): [\w.]+/;

/** The 503 a Worker on an unmigrated D1 answers, naming the step the deploy missed. */
export const MISSING_SCHEMA_STEP =
  "apply the D1 migrations (`wrangler d1 migrations apply DB --remote`, or `npm run deploy`, which applies them)";

export function onError(error: Error, c: Context): Response {
  if (error instanceof InputError) {
    return c.json(errorBody(error.code, error.message), error.status as ContentfulStatusCode);
  }
  if (error instanceof ApiError) {
    const response = c.json(errorBody(error.code, error.message), error.status);
    error.res?.headers.forEach((value, key) => {
      response.headers.set(key, value);
    });
    return response;
  }
  if (error instanceof HTTPException) {
    // Hono's own refusals: the validators' malformed JSON (400) and media-type gate (415).
    const code =
      error.status === 400
        ? "invalid_request"
        : error.status === 413
          ? "payload_too_large"
          : error.status === 415
            ? "unsupported_media_type"
            : `http_${error.status}`;
    return c.json(errorBody(code, error.message || "request failed"), error.status);
  }
  const missingSchema = MISSING_SCHEMA.exec(String(error?.message ?? ""));
  if (missingSchema) {
    console.error(JSON.stringify({ level: "error", msg: "misconfigured", detail: missingSchema[0] }));
    return c.json(
      errorBody("misconfigured", `the database has no schema (${missingSchema[0]}): ${MISSING_SCHEMA_STEP}`),
      503,
    );
  }
  console.error(
    JSON.stringify({
      level: "error",
      msg: "unhandled",
      path: c.req.path,
      error: String(error?.stack ?? error),
    }),
  );
  return c.json(errorBody("internal_error", "an internal error occurred; it has been logged"), 500);
}

export const notFound = (c: Context) =>
  c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404);
