/** The schemas of /v1/admin (API keys) and of the demo page's key. */
import { z } from "@hono/zod-openapi";
import { component, timestamp } from "../openapi/schemas.ts";

const CREATE_KEY_MESSAGE = 'body must be JSON like {"name": "..."} (name up to 100 characters)';

/** What POST /v1/admin/keys validates its JSON body with. */
export const CreateKeyRequest = component(
  "CreateKeyRequest",
  z.object(
    {
      name: z
        .string({ error: () => CREATE_KEY_MESSAGE })
        .max(100, CREATE_KEY_MESSAGE)
        .optional()
        .describe('a label for the key (default "unnamed")'),
    },
    { error: () => CREATE_KEY_MESSAGE },
  ),
  "Optional JSON body of POST /v1/admin/keys.",
);

export const CreatedKey = component(
  "CreatedKey",
  z.object({
    id: z.string().describe("`key_...`"),
    name: z.string(),
    key: z.string().describe("`fcn_...`: shown once, only its hash is stored"),
    webhook_secret: z.string().describe("`whsec_...`: verifies this key's webhooks (Standard Webhooks)"),
    created_at: timestamp(),
  }),
  "A new API key.",
);

export const KeySummary = component(
  "KeySummary",
  z.object({
    id: z.string(),
    name: z.string(),
    key_prefix: z.string().describe("the first 10 characters of the key"),
    created_at: timestamp(),
    revoked_at: timestamp().nullable(),
  }),
  "An API key without its secret parts.",
);

export const KeyList = component(
  "KeyList",
  z.object({ object: z.literal("list"), data: z.array(KeySummary) }),
  "All keys, newest first.",
);

export const RevokedKey = component(
  "RevokedKey",
  z.object({ id: z.string(), revoked: z.literal(true) }),
  "The key is revoked.",
);

export const DemoKey = component(
  "DemoKey",
  z.object({ key: z.string() }),
  "A fresh API key for the demo page (development only).",
);

export const KeyIdPath = z.object({ id: z.string().describe("the key's id (`key_...`)") });
