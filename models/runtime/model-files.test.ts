/** The metadata the Worker reads without the weights is the metadata inside the model file. */
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { readModelMetadata } from "./model-metadata.ts";

const MODELS = resolve(dirname(fileURLToPath(import.meta.url)), "..");

it("models/fcn8s.meta.json equals the metadata inside models/fcn8s.onnx, with the file's size", async () => {
  const onnx = resolve(MODELS, "fcn8s.onnx");
  const inside = readModelMetadata(new Uint8Array(await readFile(onnx)));
  const copied = JSON.parse(await readFile(resolve(MODELS, "fcn8s.meta.json"), "utf8"));
  expect(copied).toEqual({ ...inside, bytes: (await stat(onnx)).size });
});
