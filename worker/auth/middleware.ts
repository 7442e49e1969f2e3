/** Bearer-token middlewares: API keys for /v1/jobs, the admin token for /v1/admin. */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors/index.ts";
import type { AppEnv } from "../types.ts";
import { timingSafeEqual } from "./hmac.ts";
import { findActiveKey } from "./keys.ts";

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

/** The `WWW-Authenticate` header of every 401 for an API key. */
export const keyChallenge = { "WWW-Authenticate": 'Bearer realm="fcn"' };

export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token)
    throw new ApiError(
      401,
      "unauthorized",
      "send your API key as `Authorization: Bearer <key>`",
      keyChallenge,
    );
  const key = await findActiveKey(c.env.DB, token);
  if (!key) throw new ApiError(401, "unauthorized", "the API key is unknown or revoked", keyChallenge);
  c.set("apiKey", key);
  await next();
};

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  const expected = c.env.ADMIN_TOKEN;
  if (!expected || !token || !timingSafeEqual(token, expected)) {
    throw new ApiError(
      401,
      "unauthorized",
      "admin routes need `Authorization: Bearer <ADMIN_TOKEN>`",
      keyChallenge,
    );
  }
  await next();
};
