/**
 * Node-side loading (CLI and GPU service): codecs compiled from the package files, and
 * onnxruntime-node sessions with the CUDA provider when one is available (or, on request,
 * the Worker's own onnxruntime-web engine).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import mozjpegEncoder from "@jsquash/jpeg/codec/enc/mozjpeg_enc.js";
import { defaultOptions as jpegDefaults } from "@jsquash/jpeg/meta.js";
import { initEmscriptenModule } from "@jsquash/jpeg/utils.js";
import * as ort from "onnxruntime-node";
import { type CodecModules, initCodecs, type Rgba } from "./decode.ts";
import { readModelMetadata } from "./model-metadata.ts";
import { type Model, type SessionLike, type TensorConstructor, withEnsemble } from "./segment.ts";

const require = createRequire(import.meta.url);

const CODEC_FILES = {
  jpeg: "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm",
  png: "@jsquash/png/codec/pkg/squoosh_png_bg.wasm",
  webp: "@jsquash/webp/codec/dec/webp_dec.wasm",
  heic: "libheif-js/libheif-wasm/libheif.wasm",
  avif: "@jsquash/avif/codec/dec/avif_dec.wasm",
  av1: "ogv/dist/ogv-decoder-video-av1-wasm.wasm",
} as const;

async function compile(specifier: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(require.resolve(specifier)));
}

let compiled: Promise<CodecModules> | undefined;

/** Load the same wasm decoders the Worker uses (compiled once per process). */
export async function initNodeCodecs(): Promise<void> {
  compiled ??= Promise.all(Object.values(CODEC_FILES).map(compile)).then(
    ([jpeg, png, webp, heic, avif, av1]) => ({
      jpeg,
      png,
      webp,
      heic,
      avif,
      av1,
    }),
  );
  initCodecs(await compiled);
}

let jpegEncoderModule: Promise<WebAssembly.Module> | undefined;

/**
 * RGBA to JPEG with mozjpeg (jSquash's encoder, as the test images are made). A fresh
 * instance per image, as for the decoders (codecs.ts): a WebAssembly heap never shrinks, and
 * a long-lived encoder would keep the largest overlay's forever.
 */
export async function encodeJpeg(image: Rgba, quality = 85): Promise<Uint8Array> {
  jpegEncoderModule ??= compile("@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm");
  const encoder = await initEmscriptenModule(mozjpegEncoder, await jpegEncoderModule);
  // embind returns a copy out of the heap, so nothing here keeps the instance alive.
  return encoder.encode(image.data, image.width, image.height, { ...jpegDefaults, quality });
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

/**
 * The same model on onnxruntime-web's single-threaded WebAssembly engine, the one the Worker
 * runs. Its float kernels round differently from the native CPU ones, so only this engine
 * reproduces the Worker's previews bit for bit (`npx fcn predict --provider wasm`).
 */
export async function loadWasmModel(path: string): Promise<Model & { provider: "wasm"; bytes: number }> {
  const bytes = new Uint8Array(await readFile(path));
  const web = await import("onnxruntime-web/wasm");
  web.env.wasm.numThreads = 1;
  web.env.wasm.proxy = false;
  web.env.wasm.wasmBinary ??= await readFile(require.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"));
  const session = await web.InferenceSession.create(bytes, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
  return {
    session: session as unknown as SessionLike,
    Tensor: web.Tensor as unknown as TensorConstructor,
    meta: readModelMetadata(bytes),
    provider: "wasm",
    bytes: bytes.byteLength,
  };
}

/**
 * `--provider` of the CLI: onnxruntime-node (auto, cpu, cuda) or the Worker's engine (wasm),
 * with `ensemble`'s models (`--ensemble`) joined to it for quality "high".
 */
export async function loadModelFor(path: string, provider: string, ensemble: readonly string[] = []) {
  const load = (file: string) => {
    if (provider === "wasm") return loadWasmModel(file);
    if (provider !== "auto" && provider !== "cpu" && provider !== "cuda") {
      throw new Error(`--provider must be auto, cpu, cuda or wasm, not "${provider}"`);
    }
    return loadNodeModel(file, { provider });
  };
  const members = await Promise.all(ensemble.map(load));
  return withEnsemble(await load(path), members);
}
