/**
 * The WebAssembly decoders (jSquash's mozjpeg, libwebp, Rust `png` and libavif with dav1d;
 * libheif-js's libheif with libde265 for HEIC), each image decoded by a fresh instance of its
 * compiled module that is dropped afterwards.
 *
 * Why a fresh instance per image: a WebAssembly memory never shrinks. A long-lived decoder
 * keeps the heap of the largest image it ever decoded (a progressive 6 MP JPEG leaves
 * mozjpeg's at about 50 MB), and each format's decoder starts at 17 MB even if never used;
 * inside a 128 MB Worker isolate that is the difference between serving a photo and not.
 * Instantiating an already compiled module costs well under a millisecond (the compiled code
 * is shared), and a dropped instance takes its whole heap, and anything its JavaScript glue
 * still holds (embind keeps the last call's arguments), with it to the garbage collector.
 * Workers may only instantiate the compiled modules they import, never compile bytes.
 */
import avifDecoder from "@jsquash/avif/codec/dec/avif_dec.js";
import mozjpegDecoder from "@jsquash/jpeg/codec/dec/mozjpeg_dec.js";
import { initEmscriptenModule } from "@jsquash/jpeg/utils.js";
import webpDecoder from "@jsquash/webp/codec/dec/webp_dec.js";
import libheif from "libheif-js/libheif-wasm/libheif.js";
import ogvAv1 from "ogv/dist/ogv-decoder-video-av1-wasm.js";
import type { HeifHeader } from "./heif.ts";

/** Interleaved RGBA, 8 bits per channel, row-major: (height, width, 4). */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** The decoders as compiled modules (Workers import them; Node compiles the files). */
export interface CodecModules {
  jpeg: WebAssembly.Module;
  png: WebAssembly.Module;
  webp: WebAssembly.Module;
  heic: WebAssembly.Module;
  avif: WebAssembly.Module;
  /** ogv.js's dav1d build (AV1 to YUV planes), for AVIF previews decoded reduced */
  av1: WebAssembly.Module;
}

/**
 * The emscripten glue defines `globalThis.ImageData` (Workers and Node have none) inside its
 * factory, the first time one runs: that class would close over the first instance's scope and
 * keep its heap alive for good (measured: 17 MB, or all of a large first image's). Defined here
 * first, the glue leaves it alone, and no decoder instance outlives its image.
 */
class ImageData {
  data: Uint8ClampedArray;
  width: number;
  height: number;
  constructor(data: Uint8ClampedArray, width: number, height: number) {
    this.data = data;
    this.width = width;
    this.height = height;
  }
}
(globalThis as { ImageData?: unknown }).ImageData ??= ImageData;

interface EmscriptenDecoder {
  decode(data: Uint8Array, ...options: (boolean | number)[]): Rgba | null;
}
type EmscriptenFactory = Parameters<typeof initEmscriptenModule>[0];

/**
 * mozjpeg and libwebp (emscripten + embind): the glue copies the RGBA out of the heap into a
 * JavaScript array, so the result does not hold the instance. With `warnings`, what the
 * decoder prints to stderr (libjpeg's warnings, such as "Premature end of JPEG file") is
 * collected there instead of going to console.error: one instance per image, so one image's.
 */
async function decodeEmscripten(
  factory: EmscriptenFactory,
  module: WebAssembly.Module,
  bytes: Uint8Array,
  warnings: string[] | undefined,
  ...options: (boolean | number)[]
): Promise<Rgba | null> {
  const overrides = warnings ? { printErr: (line: string) => warnings.push(line) } : {};
  const decoder = (await initEmscriptenModule(factory, module, overrides)) as unknown as EmscriptenDecoder;
  // embind copies a Uint8Array (view offsets honoured) into the heap: no copy needed here.
  return decoder.decode(bytes, ...options);
}

/** mozjpeg to RGBA; its warnings go to `warnings` if given. */
export const decodeJpeg = (module: WebAssembly.Module, bytes: Uint8Array, warnings?: string[]) =>
  decodeEmscripten(mozjpegDecoder as EmscriptenFactory, module, bytes, warnings, false); // false: no EXIF rotation
export const decodeWebp = (module: WebAssembly.Module, bytes: Uint8Array) =>
  decodeEmscripten(webpDecoder as EmscriptenFactory, module, bytes, undefined);
/** libavif (dav1d) to 8-bit RGBA, as coded: libavif leaves irot/imir to the caller. */
export const decodeAvif = (module: WebAssembly.Module, bytes: Uint8Array) =>
  decodeEmscripten(avifDecoder as EmscriptenFactory, module, bytes, undefined, 8); // 8 bits per channel

interface HeifError {
  code: unknown;
  message?: string;
}
interface HeifChannel {
  width: number;
  height: number;
  stride: number;
  bits_per_pixel: number;
  data: Uint8Array;
}
/** The few calls of libheif-js's embind API this uses (its own typings describe the C exports). */
interface Libheif {
  heif_context_alloc(): unknown;
  heif_context_read_from_memory(context: unknown, bytes: Uint8Array): HeifError;
  heif_error_code: { heif_error_Ok: unknown };
  heif_js_context_get_primary_image_handle(context: unknown): unknown;
  heif_js_decode_image2(
    handle: unknown,
    colorspace: unknown,
    chroma: unknown,
  ): { code?: unknown; channels?: HeifChannel[] };
  heif_colorspace: { heif_colorspace_RGB: unknown; heif_colorspace_YCbCr: unknown };
  heif_chroma: { heif_chroma_interleaved_RGBA: unknown; heif_chroma_420: unknown };
}

/** A fresh libheif instance (codecs.ts's header says why), its prints dropped. */
async function libheifInstance(module: WebAssembly.Module): Promise<Libheif> {
  return (await (libheif as unknown as (overrides: object) => Promise<Libheif>)({
    instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) {
      const instance = new WebAssembly.Instance(module, imports);
      receive(instance);
      return instance.exports;
    },
    print: () => {},
    printErr: () => {},
  })) as Libheif;
}

/** The primary image of a HEIF file, decoded by libheif in the colour space asked for. */
function decodePrimary(
  lib: Libheif,
  bytes: Uint8Array,
  colorspace: unknown,
  chroma: unknown,
): HeifChannel[] | null {
  const context = lib.heif_context_alloc();
  const read = lib.heif_context_read_from_memory(context, bytes);
  if (read.code !== lib.heif_error_code.heif_error_Ok) return null;
  const handle = lib.heif_js_context_get_primary_image_handle(context);
  if (!handle || (handle as HeifError).code) return null;
  const image = lib.heif_js_decode_image2(handle, colorspace, chroma);
  if (!image?.channels?.length || image.code) return null;
  return image.channels;
}

/**
 * libheif (libde265) to RGBA, the primary image only (a burst's or Live Photo's other images
 * are never decoded), with the container's irot/imir applied: libheif applies them itself,
 * so the result is upright. The RGBA is a view of the decoder's heap (the instance is dropped,
 * so nothing overwrites it); the view keeps the heap alive until the pixels are dropped.
 */
export async function decodeHeic(module: WebAssembly.Module, bytes: Uint8Array): Promise<Rgba | null> {
  const lib = await libheifInstance(module);
  const channel = decodePrimary(
    lib,
    bytes,
    lib.heif_colorspace.heif_colorspace_RGB,
    lib.heif_chroma.heif_chroma_interleaved_RGBA,
  )?.[0];
  if (!channel) return null;
  const { width, height, stride, data } = channel;
  const row = width * 4;
  let rgba: Uint8ClampedArray;
  if (stride === row) rgba = new Uint8ClampedArray(data.buffer, data.byteOffset, row * height);
  else {
    rgba = new Uint8ClampedArray(row * height);
    for (let y = 0; y < height; y++) rgba.set(data.subarray(y * stride, y * stride + row), y * row);
  }
  // 32-bit pixel access needs 4-byte alignment: copy if the heap's buffer is not aligned.
  if (rgba.byteOffset % 4 !== 0) rgba = rgba.slice();
  return { width, height, data: rgba };
}

interface PngExports {
  memory: WebAssembly.Memory;
  __wbindgen_malloc(size: number, align: number): number;
  decode(ptr: number, length: number): number;
}

/**
 * The Rust `png` decoder (wasm-bindgen). Its generated glue keeps one instance per module for
 * good, so this instantiates the module itself with the few imports `decode` uses. The result
 * is a view of the RGBA the decoder hands over inside its own heap: no copy is made, and since
 * nothing calls this instance again, nothing overwrites it. The view keeps the heap alive
 * until the pixels are dropped.
 */
export function decodePng(module: WebAssembly.Module, bytes: Uint8Array): Rgba {
  let exports!: PngExports;
  let image: Rgba | undefined;
  const text = (ptr: number, length: number) =>
    new TextDecoder().decode(new Uint8Array(exports.memory.buffer, ptr, length));
  // wasm-bindgen names its imports `__wbg_<what>_<hash>`; match on <what>, the hash is per build.
  const handlers: [RegExp, (...args: number[]) => unknown][] = [
    [
      /^__wbg_newwithownedu8clampedarrayandsh_/,
      (ptr, length, width, height) => {
        image = { width, height, data: new Uint8ClampedArray(exports.memory.buffer, ptr, length) };
        return 0; // the object handle `decode` hands back; the image is taken from `image`
      },
    ],
    [/^__wbindgen_object_drop_ref$/, () => {}],
    [
      /^__wbindgen_throw$/,
      (ptr, length) => {
        throw new Error(text(ptr, length));
      },
    ],
  ];
  const wbg: Record<string, (...args: number[]) => unknown> = {};
  for (const { name } of WebAssembly.Module.imports(module)) {
    wbg[name] =
      handlers.find(([pattern]) => pattern.test(name))?.[1] ??
      (() => {
        throw new Error(`the PNG decoder called ${name}, which this loader does not provide`);
      });
  }
  exports = new WebAssembly.Instance(module, { wbg }).exports as unknown as PngExports;
  const ptr = exports.__wbindgen_malloc(bytes.length, 1);
  new Uint8Array(exports.memory.buffer).set(bytes, ptr);
  exports.decode(ptr, bytes.length);
  if (!image) throw new Error("the PNG decoder returned no image");
  // Rust's allocator aligns large buffers, but 32-bit pixel access needs it: copy if not.
  if (image.data.byteOffset % 4 !== 0) image.data = image.data.slice();
  return image;
}

/** Luma weights of the YCbCr matrices (ITU-T H.273 matrix_coefficients): Kr, Kb. */
const MATRICES: Record<number, [number, number]> = {
  1: [0.2126, 0.0722], // BT.709
  5: [0.299, 0.114], // BT.601
  6: [0.299, 0.114],
  9: [0.2627, 0.0593], // BT.2020 non-constant luminance
};

/**
 * A HEIC's primary image, upright, reduced `factor` times (each output pixel the mean of a
 * factor x factor block): what a preview needs from a 12 MP photo, in about 40% of the memory
 * of `decodeHeic`. libheif decodes to YCbCr 4:2:0 (8.6 bytes per pixel less the RGBA it would
 * convert to), the planes are averaged block by block, and converted to RGB here with the
 * file's matrix and range (`colour`, from its colr box; libheif's defaults without one).
 * Null where the planes are not 8-bit, for the caller to decode it whole.
 */
export async function decodeHeicReduced(
  module: WebAssembly.Module,
  bytes: Uint8Array,
  factor: number,
  colour: { matrix: number; fullRange: boolean },
): Promise<Rgba | null> {
  const lib = await libheifInstance(module);
  const planes = decodePrimary(
    lib,
    bytes,
    lib.heif_colorspace.heif_colorspace_YCbCr,
    lib.heif_chroma.heif_chroma_420,
  );
  if (!planes || planes.length < 3 || planes.some((p) => p.bits_per_pixel !== 8)) return null;
  const [luma, cb, cr] = planes;
  return reduceYcbcr(
    [
      { ...luma, offset: 0 },
      { ...cb, offset: 0 },
      { ...cr, offset: 0 },
    ],
    luma.width,
    luma.height,
    factor,
    colour,
  );
}

/** One 8-bit plane at `offset` in `data`, rows `stride` bytes apart. */
interface Plane {
  data: Uint8Array;
  offset: number;
  stride: number;
  width: number;
  height: number;
}

/**
 * Y, Cb and Cr planes (chroma at any subsampling, sizes rounded up) of a width x height image
 * reduced `factor` times: each output pixel the mean of a factor x factor block, converted to
 * RGB with `colour` (ycbcrToRgb). The chroma of a luma pixel is the sample at its scaled
 * coordinates, as libheif's and dav1d's upsampling-free reference is.
 */
function reduceYcbcr(
  [luma, cb, cr]: [Plane, Plane, Plane],
  width: number,
  height: number,
  factor: number,
  colour: { matrix: number; fullRange: boolean },
): Rgba {
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  const data = new Uint8ClampedArray(outWidth * outHeight * 4);
  const toRgb = ycbcrToRgb(colour);
  // Chroma planes may be rounded up (odd sizes): a luma pixel's chroma is at half its coordinates.
  const sx = cb.width / width;
  const sy = cb.height / height;
  for (let oy = 0; oy < outHeight; oy++) {
    const y0 = oy * factor;
    const y1 = Math.min(height, y0 + factor);
    for (let ox = 0; ox < outWidth; ox++) {
      const x0 = ox * factor;
      const x1 = Math.min(width, x0 + factor);
      let ySum = 0;
      let cbSum = 0;
      let crSum = 0;
      for (let y = y0; y < y1; y++) {
        const lumaRow = luma.offset + y * luma.stride;
        const chromaY = Math.min(cb.height - 1, Math.floor(y * sy));
        const cbRow = cb.offset + chromaY * cb.stride;
        const crRow = cr.offset + chromaY * cr.stride;
        for (let x = x0; x < x1; x++) {
          ySum += luma.data[lumaRow + x];
          const chromaX = Math.min(cb.width - 1, Math.floor(x * sx));
          cbSum += cb.data[cbRow + chromaX];
          crSum += cr.data[crRow + chromaX];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      toRgb(ySum / n, cbSum / n, crSum / n, data, (oy * outWidth + ox) * 4);
    }
  }
  return { width: outWidth, height: outHeight, data };
}

/** What decodeAvifReduced does not take on: decode such a file whole instead. */
export class NotReducible extends Error {}

/** The parameters of ogv.js's `ogvjs_callback_frame` (its dav1d picture, planes in the heap). */
type FrameCallback = (
  yPointer: number,
  yStride: number,
  uPointer: number,
  uStride: number,
  vPointer: number,
  vStride: number,
  width: number,
  height: number,
  chromaWidth: number,
  chromaHeight: number,
  cropWidth: number,
  cropHeight: number,
  cropLeft: number,
  cropTop: number,
  displayWidth: number,
  displayHeight: number,
) => void;

/** ogv.js's AV1 decoder glue (emscripten): the few members used here. */
interface OgvAv1 {
  _malloc(size: number): number;
  _free(pointer: number): void;
  _ogv_video_decoder_init(): void;
  _ogv_video_decoder_process_frame(data: number, length: number): number;
}

/** Whether OBUs (low-overhead format, sizes present) hold a sequence header (OBU type 1). */
function hasSequenceHeader(obus: Uint8Array): boolean {
  for (let i = 0; i < obus.length; ) {
    const header = obus[i];
    const type = (header >> 3) & 15;
    if (type === 1) return true;
    if ((header & 2) === 0) return false; // no size field: the last OBU
    i += (header & 4) !== 0 ? 2 : 1; // the extension byte
    let size = 0;
    for (let k = 0, byte = 0x80; k < 8 && byte & 0x80 && i < obus.length; k++) {
      byte = obus[i++];
      size += (byte & 0x7f) * 2 ** (7 * k);
    }
    i += size;
  }
  return false;
}

/**
 * The largest frame an AV1 sequence header (the first OBU of type 1 in `obus`) allows:
 * max_frame_width_minus_1 + 1 by max_frame_height_minus_1 + 1 (AV1 spec 5.5.1), read before
 * dav1d sizes its buffers by it. Undefined without a sequence header, or one cut short.
 */
export function av1MaxFrameSize(obus: Uint8Array): { width: number; height: number } | undefined {
  for (let i = 0; i < obus.length; ) {
    const header = obus[i];
    let at = i + ((header & 4) !== 0 ? 2 : 1);
    let size = obus.length - at; // without a size field, the OBU runs to the end
    if ((header & 2) !== 0) {
      size = 0;
      for (let k = 0, byte = 0x80; k < 8 && byte & 0x80 && at < obus.length; k++) {
        byte = obus[at++];
        size += (byte & 0x7f) * 2 ** (7 * k);
      }
    }
    if (((header >> 3) & 15) === 1) return sequenceHeaderFrameSize(obus.subarray(at, at + size));
    i = at + size;
  }
  return undefined;
}

/** sequence_header_obu() (AV1 spec 5.5) as far as the maximum frame size. */
function sequenceHeaderFrameSize(b: Uint8Array): { width: number; height: number } | undefined {
  let bit = 0;
  const read = (n: number): number => {
    let value = 0;
    for (let k = 0; k < n; k++, bit++) {
      if (bit >> 3 >= b.length) throw new RangeError("cut short");
      value = value * 2 + ((b[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    return value;
  };
  const uvlc = () => {
    let zeros = 0;
    while (read(1) === 0 && zeros < 32) zeros++;
    return zeros >= 32 ? 2 ** 32 - 1 : read(zeros) + 2 ** zeros - 1;
  };
  try {
    read(3); // seq_profile
    read(1); // still_picture
    const reduced = read(1); // reduced_still_picture_header
    if (reduced)
      read(5); // seq_level_idx[0]
    else {
      let bufferDelayLength = 0;
      let decoderModelInfo = 0;
      if (read(1)) {
        // timing_info(): num_units_in_display_tick, time_scale, equal_picture_interval
        read(32);
        read(32);
        if (read(1)) uvlc(); // num_ticks_per_picture_minus_1
        decoderModelInfo = read(1);
        if (decoderModelInfo) {
          bufferDelayLength = read(5) + 1; // decoder_model_info()
          read(32);
          read(5);
          read(5);
        }
      }
      const initialDisplayDelay = read(1);
      const operatingPoints = read(5) + 1;
      for (let op = 0; op < operatingPoints; op++) {
        read(12); // operating_point_idc
        if (read(5) > 7) read(1); // seq_level_idx, seq_tier
        if (decoderModelInfo && read(1)) {
          read(bufferDelayLength); // operating_parameters_info(): decoder and encoder buffer delays
          read(bufferDelayLength);
          read(1);
        }
        if (initialDisplayDelay && read(1)) read(4);
      }
    }
    const widthBits = read(4) + 1;
    const heightBits = read(4) + 1;
    return { width: read(widthBits) + 1, height: read(heightBits) + 1 };
  } catch {
    return undefined;
  }
}

/**
 * Refuse AV1 data whose sequence header allows frames larger than the container's size (the
 * memory estimate's): dav1d would size its picture buffers by the header, not by ispe, so a
 * small ispe over a huge frame would take the isolate's memory before any picture came out.
 */
function checkFrameSize(
  obus: Uint8Array,
  configObus: Uint8Array | undefined,
  expected: { width: number; height: number },
) {
  const size = av1MaxFrameSize(obus) ?? (configObus ? av1MaxFrameSize(configObus) : undefined);
  if (!size) throw new Error("the AV1 data has no sequence header");
  if (size.width > expected.width || size.height > expected.height) {
    throw new Error(
      `the AV1 sequence header allows ${size.width}x${size.height}, the container says ${expected.width}x${expected.height}`,
    );
  }
}

/**
 * An AVIF's primary image (one AV1 key frame, 8-bit 4:2:0) reduced `factor` times: dav1d
 * (ogv.js's wasm build) decodes the item's OBUs to YUV planes in its heap, which are averaged
 * block by block straight from there and converted with the file's nclx matrix and range, as
 * decodeHeicReduced does. No RGBA at full size is ever made (libavif's whole decode holds
 * 19.8 bytes per pixel; this about 2.2, image-info.ts has the figures).
 *
 * ogv.js's glue would copy every plane into new JavaScript arrays for a video player; its
 * frame callback is replaced (at instantiation, in the import object) by one that reduces
 * the planes where dav1d left them. The result is as coded: irot/imir are NOT applied (the
 * caller applies them as EXIF's). `obus` is the primary item's data (heif.ts
 * readPrimaryItemData); `configObus` is av1C's, put first where the item carries no sequence
 * header. Throws NotReducible where dav1d gives something other than one 8-bit 4:2:0 picture
 * of the header's size, and Error where it gives nothing (the data is not AV1 it can decode)
 * or where the AV1 sequence header allows a larger frame than the header's (checked first).
 */
export async function decodeAvifReduced(
  module: WebAssembly.Module,
  obus: Uint8Array,
  factor: number,
  header: Pick<HeifHeader, "width" | "height" | "colour"> & { configObus?: Uint8Array },
): Promise<Rgba & { heapBytes: number }> {
  let reduced: Rgba | undefined;
  let refused: Error | undefined;
  const dav1d = await ogvInstance(
    module,
    (heap, [yp, ys, up, us, vp, vs, , , cw, ch, width, height, left, top]) => {
      if (reduced || refused) return;
      if (width !== header.width || height !== header.height || left !== 0 || top !== 0) {
        refused = new Error(
          `dav1d: a ${width}x${height} picture for a ${header.width}x${header.height} image`,
        );
        return;
      }
      // ogv.js reports 4:2:0 only (it aborts on other layouts): chroma is half the even-rounded size.
      if (cw !== Math.ceil(width / 2) || ch !== Math.ceil(height / 2)) {
        refused = new NotReducible(`dav1d: chroma planes of ${cw}x${ch} for ${width}x${height}`);
        return;
      }
      const plane = (offset: number, stride: number, w: number, h: number): Plane => ({
        data: heap,
        offset,
        stride,
        width: w,
        height: h,
      });
      reduced = reduceYcbcr(
        [plane(yp, ys, width, height), plane(up, us, cw, ch), plane(vp, vs, cw, ch)],
        width,
        height,
        factor,
        header.colour,
      );
    },
  );
  checkFrameSize(obus, header.configObus, header);
  dav1d.decode(obus, header.configObus);
  if (refused) throw refused;
  if (!reduced) throw new Error("dav1d decoded no picture");
  // the decoder's heap at its largest (a WebAssembly memory never shrinks), for tests and figures
  return { ...reduced, heapBytes: dav1d.heapBytes() };
}

/**
 * A fresh instance of ogv.js's dav1d whose frame callback is `onFrame` (given the heap and the
 * callback's arguments), and `decode`, which feeds it one frame's OBUs (`configObus` first where
 * they carry no sequence header) and drains it.
 */
async function ogvInstance(
  module: WebAssembly.Module,
  onFrame: (heap: Uint8Array, frame: Parameters<FrameCallback>) => void,
) {
  let memory: WebAssembly.Memory | undefined;
  const lib = (await ogvAv1({
    instantiateWasm(
      imports: { a: Record<string, (...args: number[]) => unknown> },
      receive: (instance: WebAssembly.Instance) => void,
    ) {
      // The glue's imports are minified names: the frame callback is its one function of 16
      // parameters. Only it is replaced; a glue without exactly one (another ogv release) fails
      // here, loudly, rather than decoding nothing.
      const frameCallbacks = Object.keys(imports.a).filter((name) => imports.a[name].length === 16);
      if (frameCallbacks.length !== 1) {
        throw new Error(
          `ogv.js's AV1 glue has ${frameCallbacks.length} 16-parameter imports, expected its frame callback`,
        );
      }
      imports.a[frameCallbacks[0]] = (...args: number[]) => {
        if (memory) onFrame(new Uint8Array(memory.buffer), args as Parameters<FrameCallback>);
      };
      const instance = new WebAssembly.Instance(module, imports as unknown as WebAssembly.Imports);
      memory = Object.values(instance.exports).find((e) => e instanceof WebAssembly.Memory);
      receive(instance);
      return instance.exports;
    },
    videoFormat: {}, // read by the glue's own frame callback, which is replaced
    print: () => {},
    printErr: () => {},
  })) as OgvAv1;
  if (!memory) throw new Error("ogv.js's AV1 decoder exports no memory");
  const heapMemory = memory;
  lib._ogv_video_decoder_init();
  return {
    decode(obus: Uint8Array, configObus?: Uint8Array) {
      const prefix = configObus?.length && !hasSequenceHeader(obus) ? configObus : undefined;
      const length = (prefix?.length ?? 0) + obus.length;
      const data = lib._malloc(length);
      const heap = new Uint8Array(heapMemory.buffer);
      if (prefix) heap.set(prefix, data);
      heap.set(obus, data + (prefix?.length ?? 0));
      lib._ogv_video_decoder_process_frame(data, length);
      // dav1d may hold the picture back (frame delay): a null packet drains it.
      lib._ogv_video_decoder_process_frame(0, 0);
      lib._free(data);
    },
    heapBytes: () => heapMemory.buffer.byteLength,
  };
}

/**
 * An AVIF whose primary item is a `grid` of 8-bit 4:2:0 AV1 tiles (heif.ts readAvifGrid),
 * reduced `factor` times one tile at a time, as decodeHeicGridReduced does for HEIC: dav1d
 * decodes a tile, its planes are added into per-output-pixel sums from its heap, and the next
 * tile replaces it there, so the heap holds one tile's picture whatever the image's size. The
 * result is as coded (irot/imir for the caller). Throws NotReducible where a tile is not 8-bit
 * 4:2:0, and Error where dav1d gives no picture or one not of the tile size (`header.tile`,
 * which the memory estimate was made from), or the tiles do not cover the grid.
 */
export async function decodeAvifGridReduced(
  module: WebAssembly.Module,
  grid: { columns: number; rows: number; tiles: { data: Uint8Array; configObus?: Uint8Array }[] },
  factor: number,
  header: Pick<HeifHeader, "width" | "height" | "colour"> & { tile: { width: number; height: number } },
): Promise<Rgba & { heapBytes: number }> {
  const { width, height, tile } = header;
  const { columns, rows } = grid;
  if (grid.tiles.length !== columns * rows || columns * tile.width < width || rows * tile.height < height) {
    throw new Error(`a ${columns}x${rows} grid of ${tile.width}x${tile.height} tiles for ${width}x${height}`);
  }
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  // Sums of Y, Cb and Cr per output pixel (at most 64 x 255 each), interleaved.
  const sums = new Uint32Array(outWidth * outHeight * 3);
  let at = { tx: 0, ty: 0 };
  let decoded = false;
  let refused: Error | undefined;
  const dav1d = await ogvInstance(module, (heap, [yp, ys, up, us, vp, vs, , , cw, ch, w, h, left, top]) => {
    if (decoded || refused) return;
    if (w !== tile.width || h !== tile.height || left !== 0 || top !== 0) {
      refused = new Error(`dav1d: a ${w}x${h} tile for ${tile.width}x${tile.height}`);
      return;
    }
    if (cw !== Math.ceil(w / 2) || ch !== Math.ceil(h / 2)) {
      refused = new NotReducible(`dav1d: chroma planes of ${cw}x${ch} for a ${w}x${h} tile`);
      return;
    }
    decoded = true;
    addTileToBlockSums(
      sums,
      [
        { data: heap, offset: yp, stride: ys, width: w, height: h },
        { data: heap, offset: up, stride: us, width: cw, height: ch },
        { data: heap, offset: vp, stride: vs, width: cw, height: ch },
      ],
      { x: at.tx * tile.width, y: at.ty * tile.height },
      { width, height },
      factor,
    );
  });
  for (let ty = 0; ty < rows; ty++) {
    for (let tx = 0; tx < columns; tx++) {
      at = { tx, ty };
      decoded = false;
      const { data, configObus } = grid.tiles[ty * columns + tx];
      checkFrameSize(data, configObus, tile);
      dav1d.decode(data, configObus);
      if (refused) throw refused;
      if (!decoded) throw new Error(`dav1d decoded no picture for tile ${tx},${ty}`);
    }
  }
  const rgba = rgbaFromBlockSums(sums, { width, height }, factor, header.colour);
  return { width: outWidth, height: outHeight, data: rgba, heapBytes: dav1d.heapBytes() };
}

/**
 * Adds one decoded tile's Y, Cb and Cr (8-bit planes; chroma at any subsampling, sizes rounded
 * up) into `sums`, the interleaved per-output-pixel sums of the `size` image reduced `factor`
 * times (rgbaFromBlockSums turns them into pixels). The tile's top left is at `origin`; the
 * image's size crops the grid's last column and row. A luma pixel's chroma is the sample at its
 * scaled coordinates, as in reduceYcbcr.
 */
function addTileToBlockSums(
  sums: Uint32Array,
  [luma, cb, cr]: [Plane, Plane, Plane],
  origin: { x: number; y: number },
  size: { width: number; height: number },
  factor: number,
): void {
  const outWidth = Math.ceil(size.width / factor);
  const chromaX = new Int32Array(luma.width);
  for (let x = 0; x < luma.width; x++)
    chromaX[x] = Math.min(cb.width - 1, Math.floor((x * cb.width) / luma.width));
  const xEnd = Math.min(luma.width, size.width - origin.x);
  for (let y = 0, gy = origin.y; y < luma.height && gy < size.height; y++, gy++) {
    const lumaRow = luma.offset + y * luma.stride;
    const chromaY = Math.min(cb.height - 1, Math.floor((y * cb.height) / luma.height));
    const cbRow = cb.offset + chromaY * cb.stride;
    const crRow = cr.offset + chromaY * cr.stride;
    const sumRow = Math.floor(gy / factor) * outWidth;
    for (let x = 0; x < xEnd; x++) {
      const s = (sumRow + Math.floor((origin.x + x) / factor)) * 3;
      sums[s] += luma.data[lumaRow + x];
      sums[s + 1] += cb.data[cbRow + chromaX[x]];
      sums[s + 2] += cr.data[crRow + chromaX[x]];
    }
  }
}

/**
 * The reduced image of the tile-by-tile decoders: each output pixel's Y, Cb, Cr sums over its
 * factor x factor block of the `size` image (the last row and column of blocks cut short by
 * its edges) become their means, converted to opaque RGBA with the file's matrix and range.
 */
function rgbaFromBlockSums(
  sums: Uint32Array,
  size: { width: number; height: number },
  factor: number,
  colour: { matrix: number; fullRange: boolean },
): Uint8ClampedArray {
  const [outWidth, outHeight] = [Math.ceil(size.width / factor), Math.ceil(size.height / factor)];
  const rgba = new Uint8ClampedArray(outWidth * outHeight * 4);
  const toRgb = ycbcrToRgb(colour);
  for (let oy = 0; oy < outHeight; oy++) {
    const blockHeight = Math.min(size.height, (oy + 1) * factor) - oy * factor;
    for (let ox = 0; ox < outWidth; ox++) {
      const n = blockHeight * (Math.min(size.width, (ox + 1) * factor) - ox * factor);
      const s = (oy * outWidth + ox) * 3;
      toRgb(sums[s] / n, sums[s + 1] / n, sums[s + 2] / n, rgba, (oy * outWidth + ox) * 4);
    }
  }
  return rgba;
}

/**
 * Y, Cb, Cr (8-bit means) to an opaque RGBA pixel at `data[o]`, with the file's matrix and
 * range (`colour`, from its colr box; libheif's defaults without one).
 */
function ycbcrToRgb(colour: { matrix: number; fullRange: boolean }) {
  const [kr, kb] = MATRICES[colour.matrix] ?? MATRICES[6];
  const kg = 1 - kr - kb;
  const lumaScale = colour.fullRange ? 1 : 255 / 219;
  const lumaOffset = colour.fullRange ? 0 : 16;
  const chromaScale = colour.fullRange ? 1 : 255 / 224;
  return (y: number, cb: number, cr: number, data: Uint8ClampedArray, o: number) => {
    const yValue = (y - lumaOffset) * lumaScale;
    const cbValue = (cb - 128) * chromaScale;
    const crValue = (cr - 128) * chromaScale;
    data[o] = yValue + 2 * (1 - kr) * crValue;
    data[o + 1] = yValue - ((2 * kb * (1 - kb)) / kg) * cbValue - ((2 * kr * (1 - kr)) / kg) * crValue;
    data[o + 2] = yValue + 2 * (1 - kb) * cbValue;
    data[o + 3] = 255;
  };
}

/**
 * libheif's C API as libheif-js exports it (emscripten: `_name`, pointers into HEAPU8). The
 * functions that return a `heif_error` struct take a hidden first argument, where it is written
 * (wasm32 C ABI): { code: i32, subcode: i32, message: char* }, code 0 is success.
 */
interface LibheifC {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _heif_context_alloc(): number;
  _heif_context_free(context: number): void;
  _heif_context_read_from_memory_without_copy(
    error: number,
    context: number,
    data: number,
    size: number,
    options: number,
  ): void;
  _heif_context_get_primary_image_handle(error: number, context: number, outHandle: number): void;
  _heif_image_handle_release(handle: number): void;
  _heif_image_handle_get_image_tiling(
    error: number,
    handle: number,
    processTransformations: number,
    outTiling: number,
  ): void;
  _heif_decoding_options_alloc(): number;
  _heif_decoding_options_free(options: number): void;
  _heif_image_handle_decode_image_tile(
    error: number,
    handle: number,
    outImage: number,
    colorspace: number,
    chroma: number,
    options: number,
    tileX: number,
    tileY: number,
  ): void;
  _heif_image_get_width(image: number, channel: number): number;
  _heif_image_get_height(image: number, channel: number): number;
  _heif_image_get_bits_per_pixel_range(image: number, channel: number): number;
  _heif_image_get_plane_readonly(image: number, channel: number, outStride: number): number;
  _heif_image_release(image: number): void;
}

/** heif.h's enum values (stable since libheif 1.0) and heif_image_tiling's layout (heif_tiling.h, wasm32). */
const HEIF = {
  colorspaceYCbCr: 0,
  chroma420: 1,
  channel: { y: 0, cb: 1, cr: 2 },
  /**
   * heif_decoding_options (heif_decoding.h): uint8 version, uint8 ignore_transformations, four
   * pointers (progress callbacks and their user data, 4 bytes each from offset 4), then
   * uint8 convert_hdr_to_8bit (a version 2 option) at 20
   */
  ignoreTransformationsOffset: 1,
  convertHdrTo8BitOffset: 20,
  /** heif_image_tiling: int version, then uint32 num_columns, num_rows, tile_width, tile_height, image_width, image_height */
  tilingBytes: 128,
};

/** A grid HEIC the tile-by-tile decoder does not take on (decode it whole instead). */
export class NotTileDecodable extends Error {}

/**
 * A HEIC whose primary item is a `grid` (iPhone's 512x512 HEVC tiles), reduced `factor` times
 * (each output pixel the mean of a factor x factor block) one tile at a time: libheif decodes a
 * tile to 8-bit YCbCr 4:2:0, its pixels are added into per-output-pixel sums, the tile is
 * released, and the next one reuses its memory. The decoder's heap holds the file and one tile,
 * not the image: a 24 or 48 MP photo takes what a small one does (image-info.ts has the figures).
 *
 * The result is as coded: irot/imir are NOT applied (libheif's tile API is told to ignore
 * them); the caller applies the container's orientation as it does EXIF's. Colour conversion
 * is decodeHeicReduced's; a `clap` crop is not applied (decode.ts keeps cropped grids off this
 * path). Throws NotTileDecodable where libheif does not give 8-bit planes, and Error where it
 * fails, or where its grid is not the header's (the image's and the tiles' sizes, which the
 * memory estimate was made from) or its tiles do not cover the image. Nothing is freed on an
 * error: the instance, heap and all, is dropped with it.
 */
export async function decodeHeicGridReduced(
  module: WebAssembly.Module,
  bytes: Uint8Array,
  factor: number,
  header: Pick<HeifHeader, "width" | "height" | "colour"> & { tile: { width: number; height: number } },
): Promise<Rgba & { heapBytes: number }> {
  const { tile } = header;
  const lib = (await libheifInstance(module)) as unknown as LibheifC;
  const scratch = lib._malloc(16 + HEIF.tilingBytes); // heif_error, an out-pointer, the tiling
  const error = scratch;
  const out = scratch + 12;
  const tilingAt = scratch + 16;
  const u32 = (at: number) => new DataView(lib.HEAPU8.buffer).getUint32(at, true); // HEAPU8 is replaced as the heap grows
  const check = (what: string) => {
    if (u32(error) !== 0) throw new Error(`libheif: ${what} failed (error ${u32(error)}, ${u32(error + 4)})`);
  };
  const data = lib._malloc(bytes.length);
  lib.HEAPU8.set(bytes, data);
  const context = lib._heif_context_alloc();
  lib._heif_context_read_from_memory_without_copy(error, context, data, bytes.length, 0);
  check("reading the file");
  lib._heif_context_get_primary_image_handle(error, context, out);
  check("finding the primary image");
  const handle = u32(out);
  lib.HEAPU8.fill(0, tilingAt, tilingAt + HEIF.tilingBytes);
  lib._heif_image_handle_get_image_tiling(error, handle, 0, tilingAt); // 0: as coded
  check("reading the tiling");
  const [columns, rows, tileWidth, tileHeight, width, height] = [4, 8, 12, 16, 20, 24].map((o) =>
    u32(tilingAt + o),
  );
  // The grid's own size (its ImageGrid payload) must be ispe's: the sums below are sized by it.
  if (
    width !== header.width ||
    height !== header.height ||
    tileWidth !== tile.width ||
    tileHeight !== tile.height ||
    !(columns > 0 && rows > 0) ||
    columns * tileWidth < width ||
    rows * tileHeight < height
  ) {
    throw new Error(
      `libheif: ${columns}x${rows} tiles of ${tileWidth}x${tileHeight} for ${width}x${height} (header: ` +
        `${tile.width}x${tile.height} tiles for ${header.width}x${header.height})`,
    );
  }
  const options = lib._heif_decoding_options_alloc();
  lib.HEAPU8[options + HEIF.ignoreTransformationsOffset] = 1;
  // 10- or 12-bit tiles come out as 8-bit planes, converted by libheif as its whole-image RGB is
  lib.HEAPU8[options + HEIF.convertHdrTo8BitOffset] = 1;

  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  // Sums of Y, Cb and Cr per output pixel (at most 64 x 255 each), interleaved.
  const sums = new Uint32Array(outWidth * outHeight * 3);
  for (let ty = 0; ty < rows; ty++) {
    for (let tx = 0; tx < columns; tx++) {
      lib._heif_image_handle_decode_image_tile(
        error,
        handle,
        out,
        HEIF.colorspaceYCbCr,
        HEIF.chroma420,
        options,
        tx,
        ty,
      );
      check(`decoding tile ${tx},${ty}`);
      const image = u32(out);
      const plane = (channel: number) => {
        const pointer = lib._heif_image_get_plane_readonly(image, channel, out);
        return {
          pointer,
          stride: u32(out),
          width: lib._heif_image_get_width(image, channel),
          height: lib._heif_image_get_height(image, channel),
          bits: lib._heif_image_get_bits_per_pixel_range(image, channel),
        };
      };
      const [luma, cb, cr] = [plane(HEIF.channel.y), plane(HEIF.channel.cb), plane(HEIF.channel.cr)];
      if ([luma, cb, cr].some((p) => p.bits !== 8 || p.pointer === 0)) {
        throw new NotTileDecodable(`tile planes of ${luma.bits}, ${cb.bits}, ${cr.bits} bits`);
      }
      if (
        luma.width !== tileWidth ||
        luma.height !== tileHeight ||
        cb.width !== cr.width ||
        cb.height !== cr.height
      ) {
        throw new Error(
          `libheif: tile ${tx},${ty} is ${luma.width}x${luma.height}, not ${tileWidth}x${tileHeight}`,
        );
      }
      const heap = lib.HEAPU8;
      const asPlane = (p: { pointer: number; stride: number; width: number; height: number }): Plane => ({
        data: heap,
        offset: p.pointer,
        stride: p.stride,
        width: p.width,
        height: p.height,
      });
      addTileToBlockSums(
        sums,
        [asPlane(luma), asPlane(cb), asPlane(cr)],
        { x: tx * tileWidth, y: ty * tileHeight },
        { width, height },
        factor,
      );
      lib._heif_image_release(image);
    }
  }
  lib._heif_decoding_options_free(options);
  lib._heif_image_handle_release(handle);
  lib._heif_context_free(context);

  const rgba = rgbaFromBlockSums(sums, { width, height }, factor, header.colour);
  // the decoder's heap at its largest (a WebAssembly memory never shrinks), for tests and figures
  const heapBytes = lib.HEAPU8.buffer.byteLength;
  return { width: outWidth, height: outHeight, data: rgba, heapBytes };
}
