/**
 * Development secrets in .dev.vars (git-ignored): the Worker reads the file under
 * `wrangler dev`; `npm start`, the CLI and the test harnesses read it here.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The parsed .dev.vars in `root`, or undefined when there is none. */
export function readDevVars(root = process.cwd()): Record<string, string> | undefined {
  const file = join(root, ".dev.vars");
  if (!existsSync(file)) return undefined;
  return Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
  );
}

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
