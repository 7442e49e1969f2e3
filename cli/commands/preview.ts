import { readFile, writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { IMAGE_FILE_TYPES } from "../../models/runtime/image-info.ts";
import type { components } from "../../protocol/api-types.ts";
import { API_HELP, apiClient, asIs, COMMON_OPTIONS, noSerializer, ok } from "../api.ts";
import type { Command } from "./types.ts";

const TYPES = IMAGE_FILE_TYPES;

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
    const api = apiClient(values);
    // The raw image bytes are the body (the route reads it as it streams).
    const image = {
      body: asIs<string>(await readFile(file)),
      bodySerializer: noSerializer,
      headers: { "content-type": type },
    };
    if (values.json) {
      const { data } = await ok(api.POST("/v1/preview", { ...image, params: { query: { format: "json" } } }));
      // With format=json the answer is the JSON summary (the document also lists the PNG).
      const summary = data as components["schemas"]["PreviewResult"];
      console.log(JSON.stringify({ ...summary, round_trip_ms: performance.now() - started }));
      return 0;
    }
    const { data, response } = await ok(api.POST("/v1/preview", { ...image, parseAs: "arrayBuffer" }));
    const ms = performance.now() - started;
    const out = values.out ?? "mask.png";
    await writeFile(out, new Uint8Array(data));
    console.log(`wrote ${out} in ${ms.toFixed(0)} ms (${response.headers.get("server-timing")})`);
    return 0;
  },
};
