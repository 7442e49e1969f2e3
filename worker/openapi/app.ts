/**
 * The one way the Worker's feature apps are made: an OpenAPIHono whose validation failures
 * become the API's 400 `invalid_request` (the zod issue's message is the error's message), so
 * every 4xx still leaves through the one `onError`.
 */
import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../errors/index.ts";
import type { AppEnv } from "../types.ts";

/** Unknown fields are reported first, then the fields in the order of the schema. */
export const defaultHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return undefined;
  const issues = result.error.issues;
  const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
  throw new ApiError(400, "invalid_request", issue?.message ?? `invalid ${result.target}`);
};

/** A feature's routes: declared with `createRoute`, validated with their schemas. */
export const createApp = () => new OpenAPIHono<AppEnv>({ defaultHook });
