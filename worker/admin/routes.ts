/** /v1/admin/keys: API key management for `npx fcn keys` (admin token). */
import { createRoute } from "@hono/zod-openapi";
import { createApiKey, listKeys, revokeKey } from "../auth/keys.ts";
import { requireAdmin } from "../auth/middleware.ts";
import { ApiError } from "../errors/index.ts";
import { createApp } from "../openapi/app.ts";
import { errors, unauthorized } from "../openapi/responses.ts";
import { CreatedKey, CreateKeyRequest, KeyIdPath, KeyList, RevokedKey } from "./schemas.ts";

export const admin = createApp();

admin.use("*", requireAdmin);

const security = [{ adminToken: [] }];

admin.openapi(
  createRoute({
    method: "post",
    path: "/keys",
    tags: ["admin"],
    operationId: "createKey",
    summary: "Create an API key",
    description: "The key and its webhook secret are shown only in this answer.",
    security,
    request: {
      body: {
        required: false,
        description: "optional; without a body the key is named `unnamed`",
        content: { "application/json": { schema: CreateKeyRequest } },
      },
    },
    responses: {
      201: { description: "the new key", content: { "application/json": { schema: CreatedKey } } },
      ...errors({
        400: { codes: ["invalid_request"], description: "the body is not JSON like the schema" },
        401: unauthorized("the admin token is"),
        415: { codes: ["unsupported_media_type"], description: "a body that is not application/json" },
      }),
    },
  }),
  async (c) => {
    const { name } = c.req.valid("json");
    return c.json(await createApiKey(c.env.DB, name ?? "unnamed"), 201);
  },
);

admin.openapi(
  createRoute({
    method: "get",
    path: "/keys",
    tags: ["admin"],
    operationId: "listKeys",
    summary: "List API keys",
    security,
    responses: {
      200: { description: "every key", content: { "application/json": { schema: KeyList } } },
      ...errors({ 401: unauthorized("the admin token is") }),
    },
  }),
  async (c) => c.json({ object: "list" as const, data: await listKeys(c.env.DB) }, 200),
);

admin.openapi(
  createRoute({
    method: "delete",
    path: "/keys/{id}",
    tags: ["admin"],
    operationId: "revokeKey",
    summary: "Revoke an API key",
    security,
    request: { params: KeyIdPath },
    responses: {
      200: { description: "revoked", content: { "application/json": { schema: RevokedKey } } },
      ...errors({
        401: unauthorized("the admin token is"),
        404: { codes: ["not_found"], description: "no active key with that id" },
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    if (!(await revokeKey(c.env.DB, id))) throw new ApiError(404, "not_found", "no active key with that id");
    return c.json({ id, revoked: true as const }, 200);
  },
);
