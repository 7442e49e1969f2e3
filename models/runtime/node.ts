/**
 * Node-side loading (CLI and GPU service): codecs compiled from the package files, and
 * onnxruntime-node sessions with the CUDA provider when one is available.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { type CodecModules, initCodecs } from "./decode.ts";
import { readModelMetadata } from "./model-metadata.ts";
import type { Model, SessionLike, TensorConstructor } from "./segment.ts";

const require = createRequire(import.meta.url);

const CODEC_FILES = {
  jpeg: "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm",
  png: "@jsquash/png/codec/pkg/squoosh_png_bg.wasm",
  webp: "@jsquash/webp/codec/dec/webp_dec.wasm",
} as const;

async function compile(specifier: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(require.resolve(specifier)));
}

/** Load the same wasm decoders the Worker uses. */
export async function initNodeCodecs(): Promise<void> {
  const [jpeg, png, webp] = await Promise.all(Object.values(CODEC_FILES).map(compile));
  const modules: CodecModules = { jpeg, png, webp };
  await initCodecs(modules);
}

/**
 * The npm package ships only the CPU provider; the production image adds
 * libonnxruntime_providers_cuda.so beside the binding (see gpu-service/Dockerfile).
 */
export function cudaProviderInstalled(): boolean {
  const binding = dirname(require.resolve("onnxruntime-node"));
  const dir = join(binding, "..", "bin", "napi-v6", process.platform, process.arch);
  return existsSync(join(dir, "libonnxruntime_providers_cuda.so"));
}

export type ExecutionProvider = "cuda" | "cpu";

export interface NodeModel extends Model {
  provider: ExecutionProvider;
  bytes: number;
}

/**
 * Create a session once. `provider: "auto"` tries CUDA first and falls back to CPU (the npm
 * package ships only the CPU provider; the production image adds CUDA).
 */
export async function loadNodeModel(
  path: string,
  options: { provider?: ExecutionProvider | "auto"; threads?: number } = {},
): Promise<NodeModel> {
  const bytes = new Uint8Array(await readFile(path));
  const meta = readModelMetadata(bytes);
  const wanted = options.provider ?? "auto";
  const common = { graphOptimizationLevel: "all" as const, intraOpNumThreads: options.threads ?? 0 };
  let session: ort.InferenceSession | undefined;
  let provider: ExecutionProvider = "cpu";
  if (wanted === "cuda" || (wanted === "auto" && cudaProviderInstalled())) {
    try {
      session = await ort.InferenceSession.create(bytes, { ...common, executionProviders: ["cuda"] });
      provider = "cuda";
    } catch (error) {
      if (wanted === "cuda") throw error;
    }
  }
  session ??= await ort.InferenceSession.create(bytes, { ...common, executionProviders: ["cpu"] });
  return {
    session: session as unknown as SessionLike,
    Tensor: ort.Tensor as unknown as TensorConstructor,
    meta,
    provider,
    bytes: bytes.byteLength,
  };
}
