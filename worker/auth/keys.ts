/**
 * API keys: `fcn_` + 32 random bytes (base64url). Only their SHA-256 is stored; each key has
 * its own Standard Webhooks secret (`whsec_` + base64).
 *
 * Also the keys repository: every SQL statement on the `api_keys` table is in this module.
 */
import { newWebhookSecret } from "../../protocol/standard-webhooks.ts";

export interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  webhook_secret: string;
  created_at: string;
  revoked_at: string | null;
}

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** Lowercase hex SHA-256 of a string (UTF-8) or bytes. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A random id with a type prefix (`job_...`, `key_...`): 96 bits, base64url. */
export function randomId(prefix: string): string {
  return `${prefix}_${base64url(crypto.getRandomValues(new Uint8Array(12)))}`;
}

export interface CreatedKey {
  id: string;
  name: string;
  key: string;
  webhook_secret: string;
  created_at: string;
}

/** Create a key: a random one, or `key` itself when given (the demo page's stable key). */
export async function createApiKey(db: D1Database, name: string, key?: string): Promise<CreatedKey> {
  key ??= `fcn_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const row = {
    id: randomId("key"),
    name,
    key_hash: await sha256Hex(key),
    key_prefix: key.slice(0, 10),
    webhook_secret: newWebhookSecret(),
    created_at: new Date().toISOString(),
  };
  await db
    .prepare(
      "INSERT INTO api_keys (id, name, key_hash, key_prefix, webhook_secret, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(row.id, row.name, row.key_hash, row.key_prefix, row.webhook_secret, row.created_at)
    .run();
  return { id: row.id, name, key, webhook_secret: row.webhook_secret, created_at: row.created_at };
}

/** The unrevoked key whose hash matches `key`, or null. */
export async function findActiveKey(db: D1Database, key: string): Promise<ApiKeyRow | null> {
  return db
    .prepare("SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL")
    .bind(await sha256Hex(key))
    .first<ApiKeyRow>();
}

/** Whether the key with this id exists and is not revoked (an open event stream asks on every poll). */
export async function isKeyActive(db: D1Database, id: string): Promise<boolean> {
  const row = await db.prepare("SELECT 1 FROM api_keys WHERE id = ? AND revoked_at IS NULL").bind(id).first();
  return row !== null;
}

/** A key without its secret parts, as GET /v1/admin/keys lists it. */
export interface KeySummary {
  id: string;
  name: string;
  key_prefix: string;
  created_at: string;
  revoked_at: string | null;
}

/** Every key, newest first, without hashes or secrets. */
export async function listKeys(db: D1Database): Promise<KeySummary[]> {
  const { results } = await db
    .prepare("SELECT id, name, key_prefix, created_at, revoked_at FROM api_keys ORDER BY created_at DESC")
    .all<KeySummary>();
  return results;
}

/** Revoke an active key; false when no active key has that id. */
export async function revokeKey(db: D1Database, id: string): Promise<boolean> {
  const r = await db
    .prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
    .bind(new Date().toISOString(), id)
    .run();
  return r.meta.changes > 0;
}

/**
 * The one key of a name derived from a secret (`fcn_` + base64url HMAC-SHA256(secret, name)),
 * created on first use: every caller gets the same key, and the table does not grow per call.
 */
export async function derivedApiKey(db: D1Database, secret: string, name: string): Promise<string> {
  const hmac = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(name)));
  const key = `fcn_${base64url(mac)}`;
  if (!(await keyExists(db, key))) {
    try {
      await createApiKey(db, name, key);
    } catch (error) {
      // Two first calls at once: the other one inserted it (key_hash is unique).
      if (!(await keyExists(db, key))) throw error;
    }
  }
  return key;
}

/** Whether a key with this value exists, revoked or not. */
async function keyExists(db: D1Database, key: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT id FROM api_keys WHERE key_hash = ?")
    .bind(await sha256Hex(key))
    .first();
  return row !== null;
}

/** The Standard Webhooks secret of the key with this id (revoked keys keep theirs), or null. */
export async function findWebhookSecret(db: D1Database, apiKeyId: string): Promise<string | null> {
  const row = await db
    .prepare("SELECT webhook_secret FROM api_keys WHERE id = ?")
    .bind(apiKeyId)
    .first<{ webhook_secret: string }>();
  return row?.webhook_secret ?? null;
}
