/**
 * The CLI's client for the Worker's API, shared by the `keys`, `preview` and `jobs` commands:
 * openapi-fetch typed by protocol/api-types.ts (generated from the API's OpenAPI document), so
 * a change of the contract breaks this build rather than a user.
 */
import createClient from "openapi-fetch";
import type { paths } from "../protocol/api-types.ts";
import { readDevVars } from "./dev-vars.ts";

export const DEFAULT_API = `http://127.0.0.1:${process.env.PORT ?? 8787}`;

export interface ApiOptions {
  api?: string;
  key?: string;
  adminToken?: string;
}

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

export const apiBase = (o: ApiOptions) => (o.api ?? process.env.FCN_API ?? DEFAULT_API).replace(/\/$/, "");

/** The admin token: --admin-token, $FCN_ADMIN_TOKEN, or (local system only) .dev.vars. */
export function adminToken(o: ApiOptions): string {
  const token = o.adminToken ?? process.env.FCN_ADMIN_TOKEN;
  if (token) return token;
  const local = o.api ? undefined : readDevVars()?.ADMIN_TOKEN;
  if (local) return local;
  throw new Error(
    "no admin token: pass --admin-token or set FCN_ADMIN_TOKEN (locally, `npm start` writes one to .dev.vars)",
  );
}

export function apiKey(o: ApiOptions): string {
  const key = o.key ?? process.env.FCN_API_KEY;
  if (!key)
    throw new Error("no API key: pass --key or set FCN_API_KEY (create one with `npx fcn keys create`)");
  return key;
}

export type ApiClient = ReturnType<typeof createClient<paths>>;

/** A typed client for the API at `apiBase(o)`, sending `token` (if any) as its bearer token. */
export function apiClient(o: ApiOptions, token?: string): ApiClient {
  const base = apiBase(o);
  const client = createClient<paths>({
    baseUrl: base,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  client.use({
    onError: ({ error }) =>
      new Error(`cannot reach ${base} (${(error as Error).message}); is \`npm start\` running?`),
  });
  return client;
}

/** The data of a successful answer; otherwise an ApiFailure carrying the API's error code. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<{ data: T; response: Response }> {
  const { data, error, response } = await call;
  if (response.ok) return { data: data as T, response };
  const body = error as { error?: { code?: string; message?: string } } | undefined;
  throw new ApiFailure(
    response.status,
    body?.error?.code ?? "http_error",
    body?.error?.message ?? response.statusText,
  );
}

/** A body the route reads as it is (image bytes, multipart form): sent without serializing. */
export const asIs = <T>(body: unknown) => body as T;
export const noSerializer = (body: unknown) => body as BodyInit;

export const COMMON_OPTIONS = {
  api: { type: "string" },
  key: { type: "string" },
  "admin-token": { type: "string" },
  json: { type: "boolean", default: false },
} as const;

export const API_HELP = `  --api <url>          the Worker (default $FCN_API or ${DEFAULT_API})
  --json               machine-readable output`;
