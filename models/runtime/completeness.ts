/**
 * Whether an image file is whole, from its structure alone (no pixel is decoded), so that a
 * cut-off upload is refused as truncated in every tier, even where only headers are read
 * (job submission at the edge).
 *
 * JPEG: mozjpeg decodes a file whose scan data ends early with the rest filled grey and only
 * a warning ("Premature end of JPEG file"); a mask of half a photo is no answer. The marker
 * structure says it for certain: a whole JPEG reaches its EOI marker. PNG and WebP decoders
 * refuse a truncated stream themselves, but only once they decode it; the structure (PNG chunks
 * up to IEND, the RIFF length of a WebP, the box lengths of HEIC and AVIF) lets job submission
 * refuse it before it is queued.
 */
import { InputError } from "./errors.ts";
import { heifIsWhole } from "./heif.ts";
import type { ImageInfo } from "./image-info.ts";

/** Throw `unreadable_image` (saying "truncated") if the file ends before its format's end. */
export function checkComplete(bytes: Uint8Array, info: Pick<ImageInfo, "type">): void {
  if (info.type === "image/jpeg" && !jpegReachesEoi(bytes)) {
    throw new InputError(
      "unreadable_image",
      `the JPEG is truncated: its data ends after ${bytes.length} bytes, before the end-of-image marker`,
    );
  }
  if (info.type === "image/png" && !pngReachesIend(bytes)) {
    throw new InputError(
      "unreadable_image",
      `the PNG is truncated: its data ends after ${bytes.length} bytes, before the IEND chunk`,
    );
  }
  if (info.type === "image/webp" && !webpIsWhole(bytes)) {
    throw new InputError(
      "unreadable_image",
      `the WebP is truncated: its data ends after ${bytes.length} bytes, before the length its RIFF header gives`,
    );
  }
  if ((info.type === "image/heic" || info.type === "image/avif") && !heifIsWhole(bytes)) {
    throw new InputError(
      "unreadable_image",
      `the ${info.type === "image/heic" ? "HEIC" : "AVIF"} is truncated: its data ends after ${bytes.length} bytes, inside a box`,
    );
  }
}

/** Walk PNG chunks by their lengths (4 length + 4 type + data + 4 CRC) until IEND. */
export function pngReachesIend(b: Uint8Array): boolean {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 8; // after the signature
  while (i + 8 <= b.length) {
    const length = view.getUint32(i);
    const type = String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
    const end = i + 12 + length;
    if (end > b.length) return false;
    if (type === "IEND") return true;
    i = end;
  }
  return false;
}

/** A WebP's RIFF header gives its length: the file must hold at least that many bytes. */
export function webpIsWhole(b: Uint8Array): boolean {
  if (b.length < 12) return false;
  const riffLength = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4, true);
  return b.length >= 8 + riffLength;
}

/** libjpeg's warnings that mean the scan data ended early (jerror.h JWRN_JPEG_EOF, JWRN_HIT_MARKER). */
const TRUNCATION_WARNINGS = [/^Premature end of JPEG file/, /premature end of data segment/];

/** Throw `unreadable_image` if the JPEG decoder warned that the scan data ended early. */
export function checkJpegDecoderWarnings(warnings: readonly string[]): void {
  const warning = warnings.find((w) => TRUNCATION_WARNINGS.some((pattern) => pattern.test(w)));
  if (warning) {
    throw new InputError("unreadable_image", `the JPEG is truncated: its scan data ends early (${warning})`);
  }
}

/**
 * Walk a JPEG's markers as a decoder does: segments by their length, entropy-coded data after
 * each SOS up to the next marker (0xFF followed by anything but 0x00, a restart marker or
 * fill). True once EOI is reached (bytes after it are allowed), false if the bytes run out
 * first. Malformed structure is the decoder's to judge: the walk resynchronises on the next
 * 0xFF as libjpeg does, and only running out of bytes counts as truncation.
 */
export function jpegReachesEoi(b: Uint8Array): boolean {
  let i = 2; // after SOI
  for (;;) {
    i = b.indexOf(0xff, i);
    if (i < 0) return false;
    while (b[i + 1] === 0xff) i++; // fill bytes before a marker
    if (i + 1 >= b.length) return false;
    const marker = b[i + 1];
    if (marker === 0xd9) return true;
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2; // stuffed byte, TEM, restart or SOI: no length follows
      continue;
    }
    if (i + 3 >= b.length) return false;
    const end = i + 2 + ((b[i + 2] << 8) | b[i + 3]);
    if (end > b.length) return false;
    i = end;
    if (marker === 0xda) {
      // Entropy-coded data: 0xFF 0x00 is a stuffed byte, 0xFF 0xD0-0xD7 a restart marker.
      for (;;) {
        i = b.indexOf(0xff, i);
        if (i < 0) return false;
        let next = i + 1;
        while (b[next] === 0xff) next++;
        if (next >= b.length) return false;
        if (b[next] === 0x00 || (b[next] >= 0xd0 && b[next] <= 0xd7)) {
          i = next + 1;
          continue;
        }
        i = next - 1; // the marker that ends the scan
        break;
      }
    }
  }
}
