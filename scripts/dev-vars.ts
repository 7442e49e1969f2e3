/**
 * Development secrets in .dev.vars (git-ignored): the Worker reads the file under
 * `wrangler dev`; `npm start`, the CLI and the test harnesses read it here.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readDevVars } from "../cli/dev-vars.ts";

export { readDevVars };

/** The development secrets, generating .dev.vars once if it is missing. */
export function ensureDevVars(root = process.cwd()): { vars: Record<string, string>; created: boolean } {
  const existing = readDevVars(root);
  if (existing) return { vars: existing, created: false };
  const secret = () => randomBytes(24).toString("base64url");
  const vars = {
    URL_SIGNING_SECRET: secret(),
    CALLBACK_SECRET: secret(),
    ADMIN_TOKEN: `dev_${secret()}`,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    WEBHOOK_RETRY_BASE_SECONDS: "1",
  };
  writeFileSync(
    join(root, ".dev.vars"),
    `${Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`,
    {
      mode: 0o600,
    },
  );
  return { vars, created: true };
}
