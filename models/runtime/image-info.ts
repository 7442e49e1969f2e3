import { InputError } from "./errors.ts";
import type { Orientation } from "./exif.ts";
import { readHeifHeader, sniffHeif } from "./heif.ts";

/** The image types every tier decodes, by their media type. */
export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/avif"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/**
 * The Content-Types an image upload may carry: the decoded types, and image/heif, which
 * phones and browsers also send for HEIC. The bytes decide how a file is decoded, not this.
 */
export const IMAGE_CONTENT_TYPES = [...IMAGE_TYPES, "image/heif"] as const;

/** The Content-Type of an image file by its extension (the CLI's uploads). */
export const IMAGE_FILE_TYPES: Record<string, ImageType> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".heic": "image/heic",
  ".heif": "image/heic",
  ".avif": "image/avif",
};

/** The decoded types by name, for messages: "JPEG, PNG, WebP, HEIC or AVIF". */
export const IMAGE_TYPE_NAMES = "JPEG, PNG, WebP, HEIC or AVIF";

/** A type's short name: JPEG, PNG, WebP, HEIC, AVIF. */
export const typeName = (type: ImageType): string =>
  type === "image/webp" ? "WebP" : type.slice(6).toUpperCase();

/** What the header says, read without decoding a single pixel. */
export interface ImageInfo {
  type: ImageType;
  width: number;
  height: number;
  /** the file's size in bytes */
  fileBytes: number;
  /** how the pixels are coded, as far as the decoder's memory goes */
  coding: Coding;
  /** HEIC and AVIF: the container's irot/imir as an EXIF orientation (EXIF does not apply there) */
  containerOrientation?: Orientation;
}

/** A coding ("progressive JPEG 4:2:0", "PNG RGB" ...) and the memory decoding it takes. */
export interface Coding {
  name: string;
  /** bytes per pixel while decoding: the decoder's heap, plus the copy out of it if one is made */
  bytesPerPixel: number;
  /** memory decoding takes whatever the image's size (a grid HEIC's one tile); 0 if absent */
  fixedBytes?: number;
  /**
   * A 4-component JPEG's colours: CMYK or YCCK as the Adobe APP14 marker says (stored
   * inverted, Adobe's convention), or "cmyk-unmarked" without that marker.
   */
  inks?: JpegInks;
}

export type JpegInks = "adobe-cmyk" | "adobe-ycck" | "cmyk-unmarked";

/** Limits checked before decoding, so a decompression bomb costs us a few header bytes. */
export interface ImageLimits {
  maxPixels: number;
  maxSide: number;
  /** the most memory decoding may take (`decodeBytes`); unlimited if absent */
  maxDecodeBytes?: number;
  /** what a refused client can do instead, appended to the message */
  advice?: string;
  /**
   * The limits for an image decoded at reduced scale (a JPEG at 1/8, a HEIC or AVIF reduced
   * from YCbCr: decode.ts), whose memory does not grow with its pixels the way a full decode's
   * does (a HEIC that is not a grid, and an AVIF, still have `maxDecodeBytes` checked against
   * their own estimates); `maxPixels` and `maxSide` apply
   * to the others, and to an image whose scaled decode is not possible.
   */
  scaled?: { maxPixels: number; maxSide: number };
}

/**
 * Memory the jSquash decoders (codecs.ts) take per pixel, measured on 2 to 12 MP images of
 * every coding (the heaps grow alike in Node and in workerd; test/bench/preview.ts shows them
 * in the Worker) and rounded up: the decoder's heap (the RGBA and the coding's working
 * buffers) plus, for mozjpeg and libwebp, the RGBA copy their glue makes in JavaScript.
 */
const RGBA_COPY = 4;
export const DECODER_BYTES_PER_PIXEL = {
  /** one pass over the scan data, straight to RGBA (4 bytes, and emscripten's 20% growth slack) */
  jpegSequential: 4.8 + RGBA_COPY,
  /**
   * progressive, or components in separate scans: every DCT coefficient (2 bytes) stays in the
   * heap until the last scan. By coefficients per pixel (1.5 for 4:2:0, 2 for 4:2:2, 3 for
   * 4:4:4): measured 8.3 bytes up to 2 (where the heap's growth steps dominate), 11.0 at 3.
   */
  jpegBuffered: (coefficientsPerPixel: number) =>
    8.4 + 2.7 * Math.max(0, coefficientsPerPixel - 2) + RGBA_COPY,
  /**
   * 4-component (CMYK, YCCK) JPEG, decoded in JavaScript by jpeg-js (cmyk-jpeg.ts): each
   * component's DCT coefficients and samples, a 4-channel copy and the RGBA, all on the JS heap.
   * Measured in Node as heap + ArrayBuffer growth over a 3 MP 4:4:4:4 decode, garbage included
   * (jpeg-js allocates per block row): 42 bytes at 4 coefficients per pixel; scaled by them.
   */
  jpegFourComponent: (coefficientsPerPixel: number) => 10.5 * coefficientsPerPixel,
  webpLossy: 6 + RGBA_COPY,
  webpLossyAlpha: 11 + RGBA_COPY,
  webpLossless: 13 + RGBA_COPY,
  /** by IHDR colour type (bit depth and interlacing make no difference); no copy is made */
  png: { 0: 5.4, 2: 9.4, 3: 4.6, 4: 6.7, 6: 4.7 } as Record<number, number>,
  /**
   * libheif (libde265): its heap holds the coded planes and the RGBA it converts them to, which
   * codecs.ts takes as a view (no copy). Measured on a 12 MP HEIC: heap 103.8 MB, 8.5 per pixel.
   */
  heic: 8.6,
  /**
   * libheif decoding to YCbCr 4:2:0 for a reduced preview (codecs.ts decodeHeicReduced): no
   * RGBA at full size. Measured on a 12 MP HEIC: heap 61.2 MB, 5.0 per pixel.
   */
  heicReduced: 5.1,
  /**
   * A grid HEIC (iPhone's 512x512 tiles) decoded a tile at a time (codecs.ts
   * decodeHeicGridReduced), per pixel of the image: the reduced image's Y, Cb, Cr sums and
   * RGBA, 16 bytes per output pixel, at 1/factor^2 of the image's pixels. libheif's heap holds
   * the file and one tile (heicGridTileBytes below). Measured: a 24 MP 6048x4032 grid of 512x512 tiles left
   * the heap at its initial 17.0 MB; a 4096x4096 grid of 2048x2048 tiles at 20.4 MB.
   */
  heicGridReduced: (factor: number) => 16 / (factor * factor),
  /**
   * libavif (dav1d): dav1d's picture pool, the YUV and the RGBA in its heap (12 MP: heap 191 MB,
   * 15.7 per pixel; 3 MP: 55 MB), plus the RGBA copy its glue makes.
   */
  avif: 15.8 + RGBA_COPY,
  /**
   * An 8-bit 4:2:0 AVIF decoded by dav1d (ogv.js's build) to YUV planes and reduced from its heap
   * for a preview (codecs.ts decodeAvifReduced), per pixel of the image: dav1d's picture and
   * working buffers, no RGBA at full size. Measured (the heap after decoding, smooth files): 17.2
   * MB (its initial size) at 1 and 3 MP, 29.9 MB at 12 MP 4032x3024, 56.4 MB at 24 MP
   * 6048x4032, so about 2.2 bytes per pixel over 3.4 MB; an 8 MB noisy 12 MP file left 33.8 MB
   * (the file's copy). Rounded up to 2.3 over avifReducedFixedBytes, plus the reduced RGBA.
   */
  avifReduced: (factor: number) => 2.3 + 4 / (factor * factor),
};

/** dav1d's heap besides its per-pixel buffers (DECODER_BYTES_PER_PIXEL.avifReduced), rounded up. */
const avifReducedFixedBytes = 4e6;

/**
 * dav1d's heap for an AVIF grid decoded a tile at a time, less the file: its initial 17.2 MB
 * (which 1024x1024 tiles never outgrew: a 24 MP 6x4 grid and a 48 MP 8x6 one left it there)
 * plus a tile at the whole-image rate, so a file with large tiles is estimated as it should be.
 */
const avifGridTileBytes = (tile: { width: number; height: number }) =>
  17.2e6 + tile.width * tile.height * 2.3;

/**
 * libheif's heap for a grid HEIC decoded a tile at a time, less the file: its initial 17 MB (which
 * a 512x512 tile never outgrows) plus a tile's YCbCr at the whole-image rate (heicReduced), so a
 * file with large tiles is estimated as it should be.
 */
const heicGridTileBytes = (tile: { width: number; height: number }) =>
  17e6 + tile.width * tile.height * DECODER_BYTES_PER_PIXEL.heicReduced;

/**
 * What decoding takes, estimated from the header: the file twice (the body, and its copy in
 * the decoder's heap) plus the coding's fixed bytes and bytes per pixel.
 */
export const decodeBytes = (info: ImageInfo): number =>
  2 * info.fileBytes + (info.coding.fixedBytes ?? 0) + info.width * info.height * info.coding.bytesPerPixel;

export function sniffType(bytes: Uint8Array): ImageType | undefined {
  const heif = sniffHeif(bytes);
  if (heif === "sequence") return undefined;
  if (heif) return heif;
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return "image/png";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP")
    return "image/webp";
  return undefined;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...b.subarray(at, at + n));
}

const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number) =>
  ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const le16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const le24 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);

function unreadable(what: string): InputError {
  return new InputError("unreadable_image", `the ${what} header is truncated or malformed`);
}

/** Type and stored dimensions (before EXIF rotation) from the file header. */
export function readImageInfo(bytes: Uint8Array): ImageInfo {
  if (bytes.length === 0) throw new InputError("empty_body", "the request body is empty");
  const type = sniffType(bytes);
  if (!type) {
    const what = unsupportedKind(bytes);
    throw new InputError(
      "unsupported_media_type",
      `the body is ${what ? `${what}, which is not supported` : "not an image we decode"}: send a still ${IMAGE_TYPE_NAMES} image`,
    );
  }
  if (type === "image/heic" || type === "image/avif") {
    const header = readHeifHeader(bytes, type);
    const coding = type === "image/heic" ? HEIC_CODING : AVIF_CODING;
    return {
      type,
      width: header.width,
      height: header.height,
      fileBytes: bytes.length,
      coding,
      containerOrientation: header.orientation,
    };
  }
  const [width, height, coding] =
    type === "image/jpeg" ? jpegHeader(bytes) : type === "image/png" ? pngHeader(bytes) : webpHeader(bytes);
  if (!(width > 0 && height > 0)) throw unreadable(typeName(type));
  return { type, width, height, fileBytes: bytes.length, coding };
}

const HEIC_CODING: Coding = { name: "HEIC", bytesPerPixel: DECODER_BYTES_PER_PIXEL.heic };
/** A HEIC decoded reduced, for a preview (decode.ts). */
export const HEIC_REDUCED_CODING: Coding = {
  name: "HEIC (decoded reduced)",
  bytesPerPixel: DECODER_BYTES_PER_PIXEL.heicReduced,
};
/** A grid HEIC decoded a tile at a time and reduced `factor` times, for a preview (decode.ts). */
export const heicGridReducedCoding = (tile: { width: number; height: number }, factor: number): Coding => ({
  name: `HEIC grid of ${tile.width}x${tile.height} tiles (decoded a tile at a time)`,
  bytesPerPixel: DECODER_BYTES_PER_PIXEL.heicGridReduced(factor),
  fixedBytes: heicGridTileBytes(tile),
});
const AVIF_CODING: Coding = { name: "AVIF", bytesPerPixel: DECODER_BYTES_PER_PIXEL.avif };
/**
 * An AVIF grid of 8-bit 4:2:0 tiles decoded a tile at a time and reduced `factor` times, for a
 * preview (decode.ts): the reduced image's sums and RGBA, 16 bytes per output pixel, as
 * heicGridReduced's, and one tile in dav1d's heap.
 */
export const avifGridReducedCoding = (tile: { width: number; height: number }, factor: number): Coding => ({
  name: `AVIF grid of ${tile.width}x${tile.height} tiles (decoded a tile at a time)`,
  bytesPerPixel: DECODER_BYTES_PER_PIXEL.heicGridReduced(factor),
  fixedBytes: avifGridTileBytes(tile),
});
/** An 8-bit 4:2:0 AVIF decoded to YUV by dav1d and reduced `factor` times, for a preview (decode.ts). */
export const avifReducedCoding = (factor: number): Coding => ({
  name: "AVIF (decoded reduced)",
  bytesPerPixel: DECODER_BYTES_PER_PIXEL.avifReduced(factor),
  fixedBytes: avifReducedFixedBytes,
});

/** What a body we do not decode is, where its magic bytes say: for the 415's message. */
function unsupportedKind(b: Uint8Array): string | undefined {
  if (sniffHeif(b) === "sequence") return "an image sequence (animated HEIF or AVIF)";
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0x0a) return "a JPEG XL image";
  if (b.length >= 12 && ascii(b, 4, 8) === "JXL \r\n\x87\n") return "a JPEG XL image";
  if (b.length >= 6 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) return "a GIF";
  if (b.length >= 2 && ascii(b, 0, 2) === "BM") return "a BMP";
  if (b.length >= 4 && (ascii(b, 0, 4) === "II*\0" || ascii(b, 0, 4) === "MM\0*")) return "a TIFF";
  return undefined;
}

const PNG_COLOURS: Record<number, string> = { 0: "grey", 2: "RGB", 3: "palette", 4: "grey+alpha", 6: "RGBA" };

function pngHeader(b: Uint8Array): [number, number, Coding] {
  if (b.length < 24 || ascii(b, 12, 4) !== "IHDR") throw unreadable("PNG");
  const colour = b.length > 25 ? b[25] : 2;
  return [
    be32(b, 16),
    be32(b, 20),
    {
      name: `PNG ${PNG_COLOURS[colour] ?? `colour type ${colour}`}`,
      // An unknown colour type fails to decode; until then assume the dearest.
      bytesPerPixel:
        DECODER_BYTES_PER_PIXEL.png[colour] ?? Math.max(...Object.values(DECODER_BYTES_PER_PIXEL.png)),
    },
  ];
}

/** JPEG chroma subsampling by its coefficients per pixel. */
const SUBSAMPLING: Record<number, string> = { 1: "greyscale", 1.5: "4:2:0", 2: "4:2:2", 3: "4:4:4" };

/**
 * Size from the frame header (SOF); whether the decoder must buffer the whole image's DCT
 * coefficients (progressive, or a first scan without every component) from SOF and first SOS.
 */
function jpegHeader(b: Uint8Array): [number, number, Coding] {
  let size: [number, number] | undefined;
  let progressive = false;
  let components = 0;
  let coefficientsPerPixel = 3;
  let adobeTransform: number | undefined;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) break; // not a marker: malformed before a frame header, or after it
    const marker = b[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const length = be16(b, i + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && !size) {
      if (i + 9 > b.length) break;
      size = [be16(b, i + 7), be16(b, i + 5)];
      progressive = (marker & 0x03) === 2; // SOF2, SOF6, SOF10, SOF14
      [components, coefficientsPerPixel] = frameComponents(b, i);
    }
    if (marker === 0xee && length >= 12 && i + 15 < b.length && ascii(b, i + 4, 5) === "Adobe") {
      adobeTransform = b[i + 15];
    }
    if (marker === 0xda) {
      // First scan: one without every component means more scans follow (buffered too).
      const scanComponents = i + 4 < b.length ? b[i + 4] : 0;
      if (components === 4)
        return [...(size ?? jpegUnreadable()), fourComponentCoding(adobeTransform, coefficientsPerPixel)];
      return [
        ...(size ?? jpegUnreadable()),
        jpegCoding(progressive || scanComponents < components, coefficientsPerPixel),
      ];
    }
    if (length < 2) break;
    i += 2 + length;
  }
  // No frame header: unreadable. No scan header after it: the decoder will most likely fail,
  // but assume the dearest coding until then.
  return [...(size ?? jpegUnreadable()), jpegCoding(true, coefficientsPerPixel)];
}

const jpegUnreadable = (): never => {
  throw unreadable("JPEG");
};

/** Components in a frame header at `i`, and DCT coefficients per pixel over all of them. */
function frameComponents(b: Uint8Array, i: number): [number, number] {
  const count = i + 9 < b.length ? b[i + 9] : 0;
  const factors: [number, number][] = [];
  for (let k = 0; k < count && i + 11 + 3 * k < b.length; k++) {
    const sampling = b[i + 11 + 3 * k];
    factors.push([Math.max(1, sampling >> 4), Math.max(1, sampling & 15)]);
  }
  if (factors.length === 0) return [count, 3];
  const hMax = Math.max(...factors.map(([h]) => h));
  const vMax = Math.max(...factors.map(([, v]) => v));
  return [count, factors.reduce((n, [h, v]) => n + (h * v) / (hMax * vMax), 0)];
}

/** A 4-component JPEG: Adobe's APP14 transform 2 is YCCK, anything else CMYK. */
function fourComponentCoding(adobeTransform: number | undefined, coefficientsPerPixel: number): Coding {
  const inks: JpegInks =
    adobeTransform === undefined ? "cmyk-unmarked" : adobeTransform === 2 ? "adobe-ycck" : "adobe-cmyk";
  const names: Record<JpegInks, string> = {
    "adobe-cmyk": "CMYK JPEG (Adobe)",
    "adobe-ycck": "YCCK JPEG (Adobe)",
    "cmyk-unmarked": "CMYK JPEG without an Adobe marker",
  };
  return {
    name: names[inks],
    bytesPerPixel: DECODER_BYTES_PER_PIXEL.jpegFourComponent(coefficientsPerPixel),
    inks,
  };
}

function jpegCoding(buffered: boolean, coefficientsPerPixel: number): Coding {
  const subsampling =
    SUBSAMPLING[coefficientsPerPixel] ?? `${coefficientsPerPixel.toFixed(2)} samples per pixel`;
  return buffered
    ? {
        name: `progressive or multi-scan JPEG (${subsampling})`,
        bytesPerPixel: DECODER_BYTES_PER_PIXEL.jpegBuffered(coefficientsPerPixel),
      }
    : { name: `baseline JPEG (${subsampling})`, bytesPerPixel: DECODER_BYTES_PER_PIXEL.jpegSequential };
}

const WEBP_CODINGS = {
  lossy: { name: "lossy WebP", bytesPerPixel: DECODER_BYTES_PER_PIXEL.webpLossy },
  alpha: { name: "lossy WebP with alpha", bytesPerPixel: DECODER_BYTES_PER_PIXEL.webpLossyAlpha },
  lossless: { name: "lossless WebP", bytesPerPixel: DECODER_BYTES_PER_PIXEL.webpLossless },
} satisfies Record<string, Coding>;

function webpHeader(b: Uint8Array): [number, number, Coding] {
  if (b.length < 30) throw unreadable("WebP");
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8 ") {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) throw unreadable("WebP");
    return [le16(b, 26) & 0x3fff, le16(b, 28) & 0x3fff, WEBP_CODINGS.lossy];
  }
  if (chunk === "VP8L") {
    if (b[20] !== 0x2f) throw unreadable("WebP");
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1, WEBP_CODINGS.lossless];
  }
  if (chunk === "VP8X") return [le24(b, 24) + 1, le24(b, 27) + 1, extendedWebpCoding(b)];
  throw unreadable("WebP");
}

/** An extended WebP's coding: its first image chunk, after an ALPH chunk or not. */
function extendedWebpCoding(b: Uint8Array): Coding {
  let alpha = false;
  for (let i = 12; i + 8 <= b.length; ) {
    const type = ascii(b, i, 4);
    if (type === "VP8 ") return alpha ? WEBP_CODINGS.alpha : WEBP_CODINGS.lossy;
    if (type === "VP8L") return WEBP_CODINGS.lossless;
    if (type === "ALPH") alpha = true;
    const length = (b[i + 4] | (b[i + 5] << 8) | (b[i + 6] << 16) | (b[i + 7] << 24)) >>> 0;
    i += 8 + length + (length & 1);
  }
  return WEBP_CODINGS.lossless; // no image chunk found (yet): assume the dearest
}

/**
 * Refuse images whose header promises more pixels than we will decode, or (with
 * `maxDecodeBytes`) a coding whose decoder would need more memory than the limit.
 */
export function checkLimits(info: ImageInfo, limits: ImageLimits): void {
  const advice = limits.advice ? `: ${limits.advice}` : "";
  const { width, height } = info;
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxPixels) {
    throw new InputError(
      "too_many_pixels",
      `the image is ${width}x${height}; the limit is ${limits.maxPixels} pixels and ${limits.maxSide} per side${advice}`,
    );
  }
  if (limits.maxDecodeBytes !== undefined && decodeBytes(info) > limits.maxDecodeBytes) {
    const room =
      (limits.maxDecodeBytes - 2 * info.fileBytes - (info.coding.fixedBytes ?? 0)) /
      info.coding.bytesPerPixel;
    const most = Math.max(0, Math.floor(room / 1e5) / 10);
    throw new InputError(
      "too_many_pixels",
      `the image is ${width}x${height}, a ${info.coding.name}, which takes more memory to decode than ` +
        `the limit allows: at this file size such an image may have ${most.toFixed(1)} megapixels${advice}`,
    );
  }
}
