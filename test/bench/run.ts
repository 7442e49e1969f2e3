/**
 * `npm run bench`: every benchmark table, each measured side by side in one run (the machine
 * is shared and noisy, so ratios matter more than absolute numbers).
 *   npm run bench              preview and GPU-service parts
 *   npm run bench -- preview   one part only (preview | gpu)
 *   npm run bench -- phones    only the phone-photo rows (12 and 48 MP JPEGs) beside 480x360
 *   npm run bench -- preview --baseline-edge-model old.onnx
 *                              also time another edge model beside the shipped one, in Node's
 *                              onnxruntime-web and in workerd (edge-models/)
 */
import { benchEdgeModelsInWorkerd } from "./edge-models/bench.ts";
import { benchGpuService } from "./gpu-service.ts";
import { benchPreview } from "./preview.ts";

function table(title: string, rows: [string, string][]) {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n## ${title}\n`);
  console.log(`| ${"measure".padEnd(width)} | value |`);
  console.log(`| ${"-".repeat(width)} | --- |`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
}

const args = process.argv.slice(2);
const flag = args.indexOf("--baseline-edge-model");
const baselineModel = flag >= 0 ? args[flag + 1] : undefined;
const parts = args.filter((_, i) => flag < 0 || (i !== flag && i !== flag + 1));
const want = (p: string) => parts.length === 0 || parts.includes(p);
console.log(
  `bench on ${process.platform} ${process.arch}, Node ${process.version}, ${new Date().toISOString()}`,
);
if (want("preview")) {
  const preview = await benchPreview({ baselineModel });
  table("Edge preview (int8 FCN-32s)", preview.rows);
  table("Worker isolate memory (Cloudflare's limit: 128 MB)", preview.memory);
  for (const note of preview.notes) console.log(`\n${note}`);
  if (baselineModel) table("Edge models in workerd", await benchEdgeModelsInWorkerd(baselineModel));
}
if (parts.includes("phones")) {
  const phones = await benchPreview({ phonesOnly: true });
  table("Edge preview of phone photos (int8 FCN-32s)", phones.rows);
  table("Worker isolate memory, phone photos (Cloudflare's limit: 128 MB)", phones.memory);
}
if (want("gpu")) await benchGpuService();
