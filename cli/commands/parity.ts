import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadNodeModel } from "../../models/runtime/node.ts";
import { runLogits } from "../../models/runtime/segment.ts";
import type { Command } from "./types.ts";

export const parity: Command = {
  summary: "compare a model's onnxruntime logits with reference logits (used by export.py)",
  help: `Usage: npx fcn parity --model <file.onnx> --input <in.bin> --expected <out.bin> --shape 1,3,H,W [--json]

Reads raw little-endian float32 tensors, runs the model on the input and prints the maximum
absolute difference from the expected logits.`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        model: { type: "string" },
        input: { type: "string" },
        expected: { type: "string" },
        shape: { type: "string" },
        json: { type: "boolean", default: false },
      },
    });
    if (!values.model || !values.input || !values.expected || !values.shape)
      throw new Error("needs --model, --input, --expected, --shape");
    const [, , height, width] = values.shape.split(",").map(Number);
    const f32 = async (path: string) => {
      const b = await readFile(path);
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };
    const model = await loadNodeModel(values.model, { provider: "cpu" });
    const logits = await runLogits(model, await f32(values.input), width, height);
    const expected = await f32(values.expected);
    let max = 0;
    for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(expected[i] - logits[i]));
    console.log(
      values.json ? JSON.stringify({ maxAbsDiff: max }) : `max |logit diff| = ${max.toExponential(3)}`,
    );
    return 0;
  },
};
