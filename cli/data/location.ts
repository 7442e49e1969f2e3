/**
 * Where CamVid is read from, for every TypeScript loader (the CLI, the tests, the benchmarks).
 * The rule is declared once, in models/camvid-location.json, which the Python loader
 * (models/fcn/data.py) reads too: FCN_DATA_DIR when set, else the first candidate that holds
 * train.txt (the repository's data/camvid, where `npx fcn data camvid` writes, then
 * ../shared/datasets/camvid beside the repository), else data/camvid.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Location {
  env: string;
  candidates: string[];
  marker: string;
}
const LOCATION: Location = JSON.parse(readFileSync(join(REPO, "models/camvid-location.json"), "utf8"));

/** The environment variable that names the CamVid folder: `FCN_DATA_DIR`. */
export const DATA_DIR_ENV = LOCATION.env;

/** The folders looked in when FCN_DATA_DIR is not set, in order (absolute). */
export const camvidCandidates = (): string[] => LOCATION.candidates.map((c) => resolve(REPO, c));

/** Where `npx fcn data camvid` writes unless told otherwise: the first candidate (git-ignored). */
export const defaultCamvidDir = (): string => camvidCandidates()[0];

/** Whether `root` holds the dataset (its train.txt). */
export const hasCamvid = (root: string): boolean => existsSync(join(root, LOCATION.marker));

/** The CamVid folder to read, by the rule above (it may not exist: see `hasCamvid`). */
export function camvidDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[DATA_DIR_ENV]?.trim();
  if (configured) return resolve(configured);
  return camvidCandidates().find(hasCamvid) ?? defaultCamvidDir();
}

/** One line saying where CamVid was looked for and how to get it, for errors and skipped tests. */
export function camvidMissing(env: NodeJS.ProcessEnv = process.env): string {
  const where = env[DATA_DIR_ENV]?.trim()
    ? `${DATA_DIR_ENV}=${env[DATA_DIR_ENV]}`
    : `${DATA_DIR_ENV} (not set), ${LOCATION.candidates.join(", ")}`;
  return `CamVid not found (no ${LOCATION.marker} in ${where}): run \`npx fcn data camvid\` or set ${DATA_DIR_ENV} to its folder`;
}
