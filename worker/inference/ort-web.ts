/**
 * onnxruntime-web inside workerd. Workers refuse to compile WebAssembly from bytes at run
 * time, and ORT passes no `instantiateWasm` hook through, so:
 *  1. the wasm is imported as an already compiled module (wrangler's .wasm rule);
 *  2. ORT gets a 4-byte placeholder as `wasmBinary` (without one it looks for a script URL);
 *  3. WebAssembly.instantiate is wrapped so that exactly a call with the placeholder
 *     instantiates the imported module; every other call goes to the original.
 * Single-threaded, no proxy worker: neither exists in a Worker.
 */
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import * as ort from "onnxruntime-web/wasm";
import type { ModelMetadata } from "../../models/runtime/model-metadata.ts";
import type { Model, SessionLike, TensorConstructor } from "../../models/runtime/segment.ts";

const PLACEHOLDER = new Uint8Array([0x66, 0x63, 0x6e, 0x21]); // "fcn!"

function isPlaceholder(source: unknown): boolean {
  const bytes =
    source instanceof Uint8Array
      ? source
      : source instanceof ArrayBuffer
        ? new Uint8Array(source)
        : undefined;
  return (
    bytes !== undefined && bytes.length === PLACEHOLDER.length && bytes.every((b, i) => b === PLACEHOLDER[i])
  );
}

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const original = WebAssembly.instantiate;
  const instantiate = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    if (isPlaceholder(source)) {
      // With a Module, instantiate() resolves to the Instance alone; ORT wants both.
      return original(ortWasm, imports).then((instance) => ({ instance, module: ortWasm }));
    }
    return original(source as BufferSource, imports);
  };
  WebAssembly.instantiate = instantiate as typeof WebAssembly.instantiate;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = PLACEHOLDER.buffer;
}

export type Session = ort.InferenceSession;
export const Tensor = ort.Tensor;

/** Create an inference session from model bytes (installs the shim on first use). */
async function createSession(model: ArrayBuffer): Promise<ort.InferenceSession> {
  install();
  return ort.InferenceSession.create(new Uint8Array(model), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
}

/** A model the shared runtime (`models/runtime/segment.ts`) runs, on onnxruntime-web. */
export async function webModel(bytes: ArrayBuffer, meta: ModelMetadata): Promise<Model> {
  const session = await createSession(bytes);
  return {
    session: session as unknown as SessionLike,
    Tensor: Tensor as unknown as TensorConstructor,
    meta,
  };
}
