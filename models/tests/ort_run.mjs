// Runs an ONNX model in onnxruntime-node (the tiers' runtime, CPU provider) for the Python
// tests: one raw little-endian float32 input, each output written raw beside a JSON line of
// shapes. With OPTIMIZED set, onnxruntime also saves the graph it runs after its own fusions
// (QDQ -> QLinearConv / QLinearAdd), so a test can see what the quantised graph becomes.
//   node ort_run.mjs MODEL INPUT.bin 1,3,H,W OUT_DIR [OPTIMIZED.onnx]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";

const [model, input, shape, outDir, optimized] = process.argv.slice(2);
const options = { executionProviders: ["cpu"], intraOpNumThreads: 1 };
if (optimized)
  Object.assign(options, { graphOptimizationLevel: "extended", optimizedModelFilePath: optimized });
const session = await ort.InferenceSession.create(model, options);
const bytes = readFileSync(input);
const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const results = await session.run({
  [session.inputNames[0]]: new ort.Tensor("float32", data, shape.split(",").map(Number)),
});
const shapes = {};
for (const name of session.outputNames) {
  writeFileSync(join(outDir, `${name}.bin`), results[name].data);
  shapes[name] = results[name].dims;
}
console.log(JSON.stringify(shapes));
