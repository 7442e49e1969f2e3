import type { ApiKeyRow } from "./auth/keys.ts";

/** Hono's environment for every route: bindings plus what middlewares set. */
export interface AppEnv {
  Bindings: Env;
  Variables: { apiKey: ApiKeyRow };
}
