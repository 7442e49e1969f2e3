// Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here by
// merging into the base interface that the generated `Env` and `Cloudflare.Env` extend.
// Set with `wrangler secret put NAME`; locally `npm start` writes them to .dev.vars.
interface __BaseEnv_Env {
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  URL_SIGNING_SECRET: string;
  CALLBACK_SECRET: string;
  ADMIN_TOKEN: string;
  /** First webhook retry delay; doubles per attempt (default 2 s). */
  WEBHOOK_RETRY_BASE_SECONDS?: string;
  /** Job submissions per API key per minute (default 60). */
  RATE_LIMIT_PER_MINUTE?: string;
  /** `off` skips the preview rate limits, in development only (the load and corpus harnesses). */
  PREVIEW_RATE_LIMIT?: string;
}
