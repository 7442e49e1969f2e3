/**
 * Image decoding with the same WebAssembly codecs (jSquash: mozjpeg, png, libwebp) in every
 * tier, so the Worker, the CLI and the GPU service see identical pixels for the same bytes.
 * The caller hands over compiled wasm modules (Workers import them; Node compiles the files).
 */
import decodeJpeg, { init as initJpeg } from "@jsquash/jpeg/decode.js";
import decodePng, { init as initPng } from "@jsquash/png/decode.js";
import decodeWebp, { init as initWebp } from "@jsquash/webp/decode.js";
import { InputError } from "./errors.ts";
import { applyOrientation, readOrientation } from "./exif.ts";
import { checkLimits, type ImageInfo, type ImageLimits, readImageInfo } from "./image-info.ts";

/** Interleaved RGBA, 8 bits per channel, row-major. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface CodecModules {
  jpeg: WebAssembly.Module;
  png: WebAssembly.Module;
  webp: WebAssembly.Module;
}

let ready: Promise<void> | undefined;

/** Instantiate the three decoders once per isolate/process. */
export function initCodecs(modules: CodecModules): Promise<void> {
  ready ??= Promise.all([initJpeg(modules.jpeg), initPng(modules.png), initWebp(modules.webp)]).then(
    () => undefined,
    (error) => {
      ready = undefined; // never cache a failed start
      throw error;
    },
  );
  return ready;
}

export interface DecodedImage extends Rgba {
  info: ImageInfo;
  /** EXIF orientation that was applied (1 = none). */
  orientation: number;
}

/**
 * Check the header against the limits, decode, and apply EXIF orientation.
 * Throws InputError for anything the client can fix.
 */
export async function decodeImage(bytes: Uint8Array, limits: ImageLimits): Promise<DecodedImage> {
  const info = readImageInfo(bytes);
  checkLimits(info, limits);
  if (!ready) throw new Error("initCodecs() must run before decodeImage()");
  await ready;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let image: { width: number; height: number; data: Uint8ClampedArray } | null;
  try {
    if (info.type === "image/jpeg") image = await decodeJpeg(buffer);
    else if (info.type === "image/png") image = await decodePng(buffer);
    else image = await decodeWebp(buffer);
  } catch {
    image = null;
  }
  if (
    !image ||
    image.width !== info.width ||
    image.height !== info.height ||
    image.data.length < image.width * image.height * 4
  ) {
    throw new InputError(
      "unreadable_image",
      `the ${info.type.slice(6).toUpperCase()} data could not be decoded`,
    );
  }
  const orientation = readOrientation(bytes);
  const oriented = applyOrientation(
    { width: image.width, height: image.height, data: image.data },
    orientation,
  );
  return { ...oriented, info, orientation };
}
