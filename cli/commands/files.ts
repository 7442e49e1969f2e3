import { readdir, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { IMAGE_FILE_TYPES } from "../../models/runtime/image-info.ts";

/** The image files a folder is expanded to: every type the decoders read (image-info.ts). */
export const IMAGE_EXTENSIONS = new Set(Object.keys(IMAGE_FILE_TYPES));

/** Expand files and folders (not recursive) into image files, in a stable order. */
export async function collectImages(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      const names = (await readdir(p)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
      out.push(...names.map((n) => join(p, n)));
    } else out.push(p);
  }
  return out;
}

export const stem = (path: string) => basename(path, extname(path));
