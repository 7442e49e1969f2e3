import { InputError } from "./errors.ts";

export type ImageType = "image/jpeg" | "image/png" | "image/webp";

/** What the header says, read without decoding a single pixel. */
export interface ImageInfo {
  type: ImageType;
  width: number;
  height: number;
}

/** Limits checked before decoding, so a decompression bomb costs us a few header bytes. */
export interface ImageLimits {
  maxPixels: number;
  maxSide: number;
}

export function sniffType(bytes: Uint8Array): ImageType | undefined {
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
    throw new InputError("unsupported_media_type", "the body is not a JPEG, PNG or WebP image");
  }
  const [width, height] =
    type === "image/jpeg" ? jpegSize(bytes) : type === "image/png" ? pngSize(bytes) : webpSize(bytes);
  if (!(width > 0 && height > 0)) throw unreadable(type.slice(6).toUpperCase());
  return { type, width, height };
}

function pngSize(b: Uint8Array): [number, number] {
  if (b.length < 24 || ascii(b, 12, 4) !== "IHDR") throw unreadable("PNG");
  return [be32(b, 16), be32(b, 20)];
}

function jpegSize(b: Uint8Array): [number, number] {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw unreadable("JPEG");
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
    if (isSof) {
      if (i + 9 > b.length) break;
      return [be16(b, i + 7), be16(b, i + 5)];
    }
    if (marker === 0xda || length < 2) break; // scan data before any frame header
    i += 2 + length;
  }
  throw unreadable("JPEG");
}

function webpSize(b: Uint8Array): [number, number] {
  if (b.length < 30) throw unreadable("WebP");
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8 ") {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) throw unreadable("WebP");
    return [le16(b, 26) & 0x3fff, le16(b, 28) & 0x3fff];
  }
  if (chunk === "VP8L") {
    if (b[20] !== 0x2f) throw unreadable("WebP");
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  if (chunk === "VP8X") return [le24(b, 24) + 1, le24(b, 27) + 1];
  throw unreadable("WebP");
}

/** Refuse images whose header promises more pixels than we will decode. */
export function checkLimits(info: ImageInfo, limits: ImageLimits): void {
  if (
    info.width > limits.maxSide ||
    info.height > limits.maxSide ||
    info.width * info.height > limits.maxPixels
  ) {
    throw new InputError(
      "too_many_pixels",
      `the image is ${info.width}x${info.height}; the limit is ${limits.maxPixels} pixels and ${limits.maxSide} per side`,
    );
  }
}
