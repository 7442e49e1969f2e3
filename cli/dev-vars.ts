/**
 * The local system's secrets in .dev.vars (git-ignored, written by `npm start`): the CLI reads
 * the admin token from it when it talks to the local API, and the development scripts share
 * this reader.
 */
import { existsSync, readFileSync } from "node:fs";
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
