/** A small client for the Worker's API, shared by the `keys`, `preview` and `jobs` commands. */
import { readDevVars } from "../scripts/dev-vars.ts";

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

export async function request(
  o: ApiOptions,
  path: string,
  init: RequestInit & { token?: string } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let response: Response;
  try {
    response = await fetch(`${apiBase(o)}${path}`, { ...init, headers });
  } catch (error) {
    throw new Error(`cannot reach ${apiBase(o)} (${(error as Error).message}); is \`npm start\` running?`);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as {
      error?: { code: string; message: string };
    } | null;
    throw new ApiFailure(
      response.status,
      body?.error?.code ?? "http_error",
      body?.error?.message ?? response.statusText,
    );
  }
  return response;
}

export const COMMON_OPTIONS = {
  api: { type: "string" },
  key: { type: "string" },
  "admin-token": { type: "string" },
  json: { type: "boolean", default: false },
} as const;

export const API_HELP = `  --api <url>          the Worker (default $FCN_API or ${DEFAULT_API})
  --json               machine-readable output`;
