import { readFile, writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { API_HELP, COMMON_OPTIONS, request } from "../api.ts";
import type { Command } from "./types.ts";

const TYPES: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
};

export const preview: Command = {
  summary: "ask the edge for a fast preview mask of one image",
  help: `Usage: npx fcn preview <image> [--out mask.png] [--api URL] [--json]

Sends the image to POST /v1/preview. Writes the palette PNG (pixel = class id) to --out, or
with --json prints class shares and timings.
${API_HELP}`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...COMMON_OPTIONS, out: { type: "string" } },
    });
    const [file] = positionals;
    if (!file) throw new Error("needs an image file (see --help)");
    const type = TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
    const started = performance.now();
    const r = await request(values, `/v1/preview${values.json ? "?format=json" : ""}`, {
      method: "POST",
      body: await readFile(file),
      headers: { "content-type": type },
    });
    const ms = performance.now() - started;
    if (values.json) {
      console.log(JSON.stringify({ ...(await r.json()), round_trip_ms: ms }));
      return 0;
    }
    const out = values.out ?? "mask.png";
    await writeFile(out, new Uint8Array(await r.arrayBuffer()));
    console.log(`wrote ${out} in ${ms.toFixed(0)} ms (${r.headers.get("server-timing")})`);
    return 0;
  },
};
