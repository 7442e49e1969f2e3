/**
 * Image decoding with the same codecs (jSquash's WebAssembly mozjpeg, png, libwebp and libavif,
 * libheif-js for HEIC, ogv.js's dav1d for reduced AVIF previews, and jpeg-js for CMYK/YCCK JPEGs) in every tier, so the Worker, the CLI and the GPU service see
 * identical pixels for the same bytes. The caller hands over compiled wasm modules (Workers import them; Node compiles the files).
 */

import { decodeCmykJpeg } from "./cmyk-jpeg.ts";
import {
  type CodecModules,
  decodeAvif,
  decodeAvifGridReduced,
  decodeAvifReduced,
  decodeHeic,
  decodeHeicGridReduced,
  decodeHeicReduced,
  decodeJpeg,
  decodePng,
  decodeWebp,
  NotReducible,
  NotTileDecodable,
  type Rgba,
} from "./codecs.ts";
import { checkComplete, checkJpegDecoderWarnings } from "./completeness.ts";
import { InputError } from "./errors.ts";
import { applyOrientation, type Orientation, orientedSize, readOrientation } from "./exif.ts";
import { type Av1Config, readAvifGrid, readHeifHeader, readPrimaryItemData } from "./heif.ts";
import {
  avifGridReducedCoding,
  avifReducedCoding,
  checkLimits,
  HEIC_REDUCED_CODING,
  heicGridReducedCoding,
  type ImageInfo,
  type ImageLimits,
  readImageInfo,
  typeName,
} from "./image-info.ts";
import { decodeJpegDc } from "./jpeg-dc.ts";

export type { CodecModules, Rgba };

let codecs: CodecModules | undefined;

/**
 * Hand over the compiled decoders. Nothing is instantiated here: each image gets a fresh
 * instance of its format's decoder (codecs.ts says why).
 */
export function initCodecs(modules: CodecModules): void {
  codecs = modules;
}

/** Stored pixels and the EXIF orientation a viewer shows them in; an Rgba is shown as stored. */
export interface OrientedRgba {
  /** (H, W, 4) RGBA in the order the file stores it, at full size or (see `fullSize`) reduced */
  stored: Rgba;
  orientation: Orientation;
  /**
   * The image's displayed size where `stored` is a reduced decode (a JPEG at 1/8): masks
   * and results are at this size. Absent: `stored` is the full image.
   */
  fullSize?: { width: number; height: number };
}

export interface DecodedImage extends OrientedRgba {
  info: ImageInfo;
  /** the displayed size: the stored size, swapped for orientations 5..8 */
  width: number;
  height: number;
}

export const asOriented = (image: Rgba | OrientedRgba): OrientedRgba =>
  "stored" in image ? image : { stored: image, orientation: 1 };

/**
 * The pixels as a viewer shows them. This is a full-size copy for orientations 2..8: the
 * tiers that need upright pixels (tiling, batching, labels) call it; segment() does not need it.
 */
export function upright(image: OrientedRgba): Rgba {
  return applyOrientation(image.stored, image.orientation);
}

export interface DecodeOptions {
  /**
   * The smallest displayed size the caller needs (the preview network's input): a JPEG whose
   * 1/8 scale still covers it is decoded at 1/8 from its DC coefficients (jpeg-dc.ts), and a
   * HEIC reduced 2, 4 or 8 times from YCbCr (codecs.ts; a grid a tile at a time), and an
   * 8-bit 4:2:0 AVIF reduced likewise from dav1d's YUV planes, under
   * `limits.scaled`; every other image is decoded whole, under the full limits.
   */
  atLeast?: { width: number; height: number };
}

/** The largest of 8, 4 and 2 that leaves a displayed width x height covering `atLeast`, or 1. */
function reductionFactor(width: number, height: number, atLeast: { width: number; height: number }): number {
  for (const factor of [8, 4, 2])
    if (Math.ceil(width / factor) >= atLeast.width && Math.ceil(height / factor) >= atLeast.height)
      return factor;
  return 1;
}

/** A HEIF image's displayed size (irot/imir applied) and the factor a preview reduces it by. */
function heifReduction(info: ImageInfo, atLeast: { width: number; height: number }) {
  const orientation = info.containerOrientation ?? 1;
  const [width, height] = orientedSize(info.width, info.height, orientation);
  return { orientation, width, height, factor: reductionFactor(width, height, atLeast) };
}

/**
 * A HEIF image reduced as coded, its size checked against the header's: the container's
 * irot/imir is applied like EXIF's, by whoever needs upright pixels.
 */
function asCoded(
  info: ImageInfo,
  stored: Rgba,
  { orientation, width, height, factor }: ReturnType<typeof heifReduction>,
  name: "HEIC" | "AVIF",
): DecodedImage {
  if (stored.width !== Math.ceil(info.width / factor) || stored.height !== Math.ceil(info.height / factor)) {
    throw new InputError("unreadable_image", `the ${name} data could not be decoded`);
  }
  return { info, stored, orientation, width, height, fullSize: { width, height } };
}

/**
 * A HEIC reduced for a preview, under the scaled limits with its own memory estimate; undefined
 * where a full decode is due instead. A grid (iPhone's tiles) is decoded a tile at a time
 * (codecs.ts decodeHeicGridReduced), which needs one tile's memory whatever the photo's size,
 * so the scaled limits (64 MP) apply as they are; any other HEIC is decoded whole to YCbCr
 * (decodeHeicReduced), which its memory estimate limits to about 15 MP.
 */
async function decodeHeicForPreview(
  bytes: Uint8Array,
  info: ImageInfo,
  limits: ImageLimits & { scaled: NonNullable<ImageLimits["scaled"]> },
  atLeast: { width: number; height: number },
): Promise<DecodedImage | undefined> {
  const reduction = heifReduction(info, atLeast);
  const { width, height, factor } = reduction;
  if (factor === 1 || !codecs) return undefined;
  const header = readHeifHeader(bytes, "image/heic");
  // A clap crop is not applied tile by tile: a cropped grid takes the whole-image path below.
  if (header.itemType === "grid" && header.tile && !header.cropped) {
    checkLimits(
      { ...info, coding: heicGridReducedCoding(header.tile, factor) },
      { ...limits, ...limits.scaled },
    );
    checkComplete(bytes, info);
    let stored: Rgba | undefined;
    try {
      const { heapBytes: _, ...reduced } = await decodeHeicGridReduced(codecs.heic, bytes, factor, {
        ...header,
        tile: header.tile,
      });
      stored = reduced;
    } catch (error) {
      if (!(error instanceof NotTileDecodable)) {
        throw new InputError("unreadable_image", "the HEIC data could not be decoded");
      }
      // planes libheif gives in more than 8 bits: decoded whole below, if that fits
    }
    if (stored) return asCoded(info, stored, reduction, "HEIC");
  }
  checkLimits({ ...info, coding: HEIC_REDUCED_CODING }, { ...limits, ...limits.scaled });
  checkComplete(bytes, info);
  let stored: Rgba | null = null;
  try {
    stored = await decodeHeicReduced(codecs.heic, bytes, factor, header.colour);
  } catch {}
  if (!stored) return undefined;
  if (stored.width !== Math.ceil(width / factor) || stored.height !== Math.ceil(height / factor)) {
    throw new InputError("unreadable_image", "the HEIC data could not be decoded");
  }
  // libheif applied irot/imir: the reduced pixels are upright.
  return { info, stored, orientation: 1, width, height, fullSize: { width, height } };
}

/** An AV1 coding dav1d's planes are reduced from (codecs.ts): 8-bit 4:2:0 colour. */
const reducibleAv1 = (av1: Av1Config | undefined): av1 is Av1Config =>
  av1 !== undefined && av1.bitDepth === 8 && !av1.monochrome && av1.subsamplingX && av1.subsamplingY;

/**
 * An AVIF reduced for a preview, under the scaled limits with its own memory estimate;
 * undefined where a whole decode is due instead. dav1d decodes the primary item's AV1 key
 * frame to YUV planes and they are reduced from its heap (codecs.ts decodeAvifReduced),
 * about 2.3 bytes per pixel instead of libavif's 19.8, so its estimate stops it at about 32 MP
 * for a small file; a `grid` of such tiles is decoded a tile at a time (decodeAvifGridReduced),
 * in dav1d's initial heap, so the scaled limits (64 MP) apply as they are. Only 8-bit 4:2:0
 * colour is decoded this way: an image with alpha (or any auxiliary image), a clap crop,
 * 10/12-bit, 4:2:2/4:4:4 or monochrome coding goes to the whole decode (libavif, 4 MP for a
 * preview) as before.
 */
async function decodeAvifForPreview(
  bytes: Uint8Array,
  info: ImageInfo,
  limits: ImageLimits & { scaled: NonNullable<ImageLimits["scaled"]> },
  atLeast: { width: number; height: number },
): Promise<DecodedImage | undefined> {
  const reduction = heifReduction(info, atLeast);
  const { factor } = reduction;
  if (factor === 1 || !codecs) return undefined;
  const header = readHeifHeader(bytes, "image/avif");
  if (header.hasAuxiliary || header.cropped) return undefined;
  const unreadable = () => new InputError("unreadable_image", "the AVIF data could not be decoded");
  const av1 = codecs.av1;
  let decode: () => Promise<Rgba & { heapBytes: number }>;
  if (header.itemType === "grid" && header.tile) {
    const tile = header.tile;
    checkLimits({ ...info, coding: avifGridReducedCoding(tile, factor) }, { ...limits, ...limits.scaled });
    checkComplete(bytes, info);
    const grid = readAvifGrid(bytes);
    if (!grid.tiles.every((t) => reducibleAv1(t.av1))) return undefined;
    // The grid's own size must be ispe's: the limits and the sums are sized by it.
    if (grid.width !== info.width || grid.height !== info.height) throw unreadable();
    const tiles = grid.tiles.map((t) => ({ data: t.data, configObus: t.av1?.configObus }));
    decode = () => decodeAvifGridReduced(av1, { ...grid, tiles }, factor, { ...header, tile });
  } else if (header.itemType === "av01" && reducibleAv1(header.av1)) {
    checkLimits({ ...info, coding: avifReducedCoding(factor) }, { ...limits, ...limits.scaled });
    checkComplete(bytes, info);
    const obus = readPrimaryItemData(bytes, "image/avif");
    const configObus = header.av1.configObus;
    decode = () => decodeAvifReduced(av1, obus, factor, { ...header, configObus });
  } else return undefined;
  let stored: Rgba;
  try {
    const { heapBytes: _, ...reduced } = await decode();
    stored = reduced;
  } catch (error) {
    // av1C said 8-bit 4:2:0 and dav1d disagrees: libavif reads the stream itself, within its limits
    if (error instanceof NotReducible) return undefined;
    throw unreadable();
  }
  return asCoded(info, stored, reduction, "AVIF");
}

/** A JPEG's size at 1/8 scale, as displayed, if that still covers `atLeast`. */
function coversAtEighth(
  info: ImageInfo,
  orientation: Orientation,
  atLeast: DecodeOptions["atLeast"],
): boolean {
  if (!atLeast || info.type !== "image/jpeg" || info.coding.inks) return false;
  const [width, height] = orientedSize(Math.ceil(info.width / 8), Math.ceil(info.height / 8), orientation);
  return width >= atLeast.width && height >= atLeast.height;
}

/**
 * Check the header against the limits, check the file is whole, and decode. The EXIF
 * orientation is read, not applied (see `upright`). Throws InputError for anything the client
 * can fix, including a truncated file (which mozjpeg alone would decode, filled with grey).
 * With `atLeast`, a large JPEG comes back reduced (`fullSize` says its displayed size).
 */
export async function decodeImage(
  bytes: Uint8Array,
  limits: ImageLimits,
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  const info = readImageInfo(bytes);
  const exifOrientation = info.type === "image/jpeg" ? readOrientation(bytes) : 1;
  if (limits.scaled && coversAtEighth(info, exifOrientation, options.atLeast)) {
    checkLimits(info, { ...limits, ...limits.scaled, maxDecodeBytes: undefined });
    checkComplete(bytes, info);
    const reduced = decodeJpegDc(bytes);
    if (reduced) {
      const orientation = exifOrientation;
      const [width, height] = orientedSize(info.width, info.height, orientation);
      return { info, stored: reduced, orientation, width, height, fullSize: { width, height } };
    }
    // A coding the DC decoder does not handle: decode it whole, if the full limits allow.
  }
  // HEIC and AVIF previews decoded reduced where they can be (else whole, below)
  const decodeHeifForPreview =
    info.type === "image/heic"
      ? decodeHeicForPreview
      : info.type === "image/avif"
        ? decodeAvifForPreview
        : undefined;
  if (limits.scaled && options.atLeast && decodeHeifForPreview) {
    const reduced = await decodeHeifForPreview(
      bytes,
      info,
      { ...limits, scaled: limits.scaled },
      options.atLeast,
    );
    if (reduced) return reduced;
  }
  checkLimits(info, limits);
  checkComplete(bytes, info);
  if (!codecs) throw new Error("initCodecs() must run before decodeImage()");
  if (info.coding.inks === "cmyk-unmarked") {
    throw new InputError(
      "unreadable_image",
      "a CMYK JPEG without Adobe's APP14 marker cannot be decoded: it does not say whether its inks are inverted",
    );
  }
  let stored: Rgba | null;
  const warnings: string[] = [];
  try {
    if (info.coding.inks) stored = decodeCmykJpeg(bytes, info.coding.inks, limits.maxPixels / 1e6);
    else if (info.type === "image/jpeg") stored = await decodeJpeg(codecs.jpeg, bytes, warnings);
    else if (info.type === "image/png") stored = decodePng(codecs.png, bytes);
    else if (info.type === "image/webp") stored = await decodeWebp(codecs.webp, bytes);
    else if (info.type === "image/heic") stored = await decodeHeic(codecs.heic, bytes);
    else stored = await decodeAvif(codecs.avif, bytes);
  } catch {
    stored = null;
  }
  // HEIF orientation is the container's irot/imir, never EXIF's. libheif applies it while
  // decoding (HEIC comes out upright); libavif leaves it to us like EXIF's.
  const heicUpright = info.type === "image/heic";
  const [codedWidth, codedHeight] = heicUpright
    ? orientedSize(info.width, info.height, info.containerOrientation ?? 1)
    : [info.width, info.height];
  if (
    !stored ||
    stored.width !== codedWidth ||
    stored.height !== codedHeight ||
    stored.data.length < stored.width * stored.height * 4
  ) {
    throw new InputError("unreadable_image", `the ${typeName(info.type)} data could not be decoded`);
  }
  // The structure reached EOI, but the decoder may still have run out inside a scan.
  checkJpegDecoderWarnings(warnings);
  const orientation: Orientation = heicUpright
    ? 1
    : info.type === "image/avif"
      ? (info.containerOrientation ?? 1)
      : readOrientation(bytes);
  const [width, height] = orientedSize(stored.width, stored.height, orientation);
  return { info, stored, orientation, width, height };
}
