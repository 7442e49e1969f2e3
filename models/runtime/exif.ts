/**
 * EXIF orientation (tag 0x0112) from JPEG APP1, PNG eXIf and WebP EXIF chunks, and the
 * pixel transform that shows the image as a viewer would.
 */
import type { Rgba } from "./codecs.ts";

export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

export function readOrientation(bytes: Uint8Array): Orientation {
  try {
    const tiff = findExif(bytes);
    return tiff ? orientationFromTiff(tiff) : 1;
  } catch {
    return 1; // a broken EXIF block never makes a readable image unusable
  }
}

function findExif(b: Uint8Array): Uint8Array | undefined {
  if (b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 4 <= b.length && b[i] === 0xff) {
      const marker = b[i + 1];
      const length = (b[i + 2] << 8) | b[i + 3];
      if (marker === 0xda || marker === 0xd9) return undefined;
      if (marker === 0xe1 && String.fromCharCode(...b.subarray(i + 4, i + 8)) === "Exif") {
        return b.subarray(i + 10, i + 2 + length);
      }
      i += 2 + length;
    }
    return undefined;
  }
  if (b[0] === 0x89 && b[1] === 0x50) {
    let i = 8;
    while (i + 8 <= b.length) {
      const length = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
      const type = String.fromCharCode(...b.subarray(i + 4, i + 8));
      if (type === "eXIf") return b.subarray(i + 8, i + 8 + length);
      if (type === "IDAT" || type === "IEND") return undefined;
      i += 12 + length;
    }
    return undefined;
  }
  if (String.fromCharCode(...b.subarray(0, 4)) === "RIFF") {
    let i = 12;
    while (i + 8 <= b.length) {
      const type = String.fromCharCode(...b.subarray(i, i + 4));
      // Unsigned, and a chunk that does not fit ends the walk (a negative length looped forever).
      const length = (b[i + 4] | (b[i + 5] << 8) | (b[i + 6] << 16) | (b[i + 7] << 24)) >>> 0;
      if (i + 8 + length > b.length && type !== "EXIF") return undefined;
      if (type === "EXIF") {
        const data = b.subarray(i + 8, i + 8 + length);
        const skip = String.fromCharCode(...data.subarray(0, 4)) === "Exif" ? 6 : 0;
        return data.subarray(skip);
      }
      i += 8 + length + (length & 1);
    }
  }
  return undefined;
}

function orientationFromTiff(t: Uint8Array): Orientation {
  const little = t[0] === 0x49 && t[1] === 0x49;
  const u16 = (i: number) => (little ? t[i] | (t[i + 1] << 8) : (t[i] << 8) | t[i + 1]);
  const u32 = (i: number) =>
    (little
      ? t[i] | (t[i + 1] << 8) | (t[i + 2] << 16) | (t[i + 3] << 24)
      : (t[i] << 24) | (t[i + 1] << 16) | (t[i + 2] << 8) | t[i + 3]) >>> 0;
  const ifd = u32(4);
  const count = u16(ifd);
  for (let n = 0; n < count; n++) {
    const entry = ifd + 2 + n * 12;
    if (entry + 12 > t.length) break;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? (value as Orientation) : 1;
    }
  }
  return 1;
}

/** Orientations 5..8 swap width and height. */
export function orientedSize(width: number, height: number, o: Orientation): [number, number] {
  return o >= 5 ? [height, width] : [width, height];
}

/**
 * Where a displayed pixel is stored: displayed (x, y) of a (height, width) stored image shown
 * in orientation `o` is stored pixel `base + x * dx + y * dy` (row-major index). Every
 * orientation is a flip and/or a transpose, so this one affine map covers all eight.
 */
export function storedIndex(
  width: number,
  height: number,
  o: Orientation,
): { base: number; dx: number; dy: number } {
  const last = width - 1; // last column
  const bottom = (height - 1) * width; // first pixel of the last row
  switch (o) {
    case 2:
      return { base: last, dx: -1, dy: width };
    case 3:
      return { base: bottom + last, dx: -1, dy: -width };
    case 4:
      return { base: bottom, dx: 1, dy: -width };
    case 5:
      return { base: 0, dx: width, dy: 1 };
    case 6:
      return { base: bottom, dx: -width, dy: 1 };
    case 7:
      return { base: bottom + last, dx: -width, dy: -1 };
    case 8:
      return { base: last, dx: width, dy: -1 };
    default:
      return { base: 0, dx: 1, dy: width };
  }
}

/** Apply an EXIF orientation to RGBA pixels: a full-size copy, unless `o` is 1. */
export function applyOrientation(img: Rgba, o: Orientation): Rgba {
  if (o === 1) return img;
  const { width: w, height: h, data } = img;
  const [ow, oh] = orientedSize(w, h, o);
  const { base, dx, dy } = storedIndex(w, h, o);
  const out = new Uint8ClampedArray(ow * oh * 4);
  const src32 = new Uint32Array(data.buffer, data.byteOffset, w * h);
  const dst32 = new Uint32Array(out.buffer);
  for (let y = 0; y < oh; y++) {
    const row = base + y * dy;
    for (let x = 0; x < ow; x++) dst32[y * ow + x] = src32[row + x * dx];
  }
  return { width: ow, height: oh, data: out };
}
