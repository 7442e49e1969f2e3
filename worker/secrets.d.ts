// Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here.
// Set with `wrangler secret put NAME`; locally `npm start` writes them to .dev.vars.
interface Env {
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  URL_SIGNING_SECRET: string;
  CALLBACK_SECRET: string;
  ADMIN_TOKEN: string;
  /** Base URL the GPU service uses to reach this Worker (defaults to the request's origin). */
  PUBLIC_BASE_URL?: string;
}
