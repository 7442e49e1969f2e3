/**
 * 4-component JPEGs (CMYK and YCCK: print workflows, stock photos) to RGBA. mozjpeg, the
 * decoder for every other JPEG (codecs.ts), cannot convert them to RGBA (libjpeg has no
 * CMYK->RGB), and jSquash exposes only its RGBA output; jpeg-js, in plain JavaScript and the
 * same in every tier, decodes them instead (baseline and progressive, any sampling).
 *
 * Colours follow Adobe's convention, which the APP14 "Adobe" marker announces and which
 * Photoshop, libjpeg and browsers use: samples are stored inverted (255 = no ink), so
 * R = stored C x stored K / 255 (transform 2 stores C, M, Y as YCC and is converted back
 * first). A 4-component JPEG without that marker does not say which convention it follows,
 * and jpeg-js refuses it: it stays unreadable (README lists it).
 */
import jpegJs from "jpeg-js";
import type { Rgba } from "./codecs.ts";
import type { JpegInks } from "./image-info.ts";

/**
 * Decode a CMYK or YCCK JPEG with Adobe's APP14 marker to RGBA; throws for anything else or
 * for corrupt data. `maxMegapixels` bounds what jpeg-js allocates (the header is checked
 * against the limits before this runs).
 */
export function decodeCmykJpeg(bytes: Uint8Array, inks: JpegInks, maxMegapixels: number): Rgba {
  if (inks === "cmyk-unmarked") throw new Error("a 4-component JPEG without an Adobe marker");
  const image = jpegJs.decode(bytes, {
    useTArray: true, // no Buffer: the Worker has none without nodejs_compat's globals
    formatAsRGBA: true,
    // jpeg-js picks CMYK or YCCK from the APP14 transform byte itself.
    tolerantDecoding: false,
    maxResolutionInMP: maxMegapixels,
    maxMemoryUsageInMB: 1024,
  });
  const { data } = image;
  return {
    width: image.width,
    height: image.height,
    data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
  };
}
