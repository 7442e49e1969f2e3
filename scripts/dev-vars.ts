/**
 * Development secrets in .dev.vars (git-ignored): the Worker reads the file under
 * `wrangler dev`; `npm start`, the CLI and the test harnesses read it here.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readDevVars } from "../cli/dev-vars.ts";
import { newWebhookSecret, webhookSecretProblem } from "../protocol/standard-webhooks.ts";

export { readDevVars };

function writeDevVars(root: string, vars: Record<string, string>): void {
  writeFileSync(
    join(root, ".dev.vars"),
    `${Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`,
    { mode: 0o600 },
  );
}

/** The development secrets, generating .dev.vars once if it is missing. */
export function ensureDevVars(root = process.cwd()): { vars: Record<string, string>; created: boolean } {
  const existing = readDevVars(root);
  if (existing) {
    // Files from before callbacks were Standard Webhooks hold a secret the library cannot
    // decode: replace that one value, keep the rest (the admin token, the signing key).
    if (existing.CALLBACK_SECRET && webhookSecretProblem(existing.CALLBACK_SECRET)) {
      existing.CALLBACK_SECRET = newWebhookSecret();
      writeDevVars(root, existing);
    }
    return { vars: existing, created: false };
  }
  const secret = () => randomBytes(24).toString("base64url");
  const vars = {
    URL_SIGNING_SECRET: secret(),
    // The GPU tier signs its callbacks with Standard Webhooks, whose secrets are whsec_ + base64.
    CALLBACK_SECRET: newWebhookSecret(),
    ADMIN_TOKEN: `dev_${secret()}`,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    WEBHOOK_RETRY_BASE_SECONDS: "1",
  };
  writeDevVars(root, vars);
  return { vars, created: true };
}
