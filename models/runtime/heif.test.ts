/**
 * HEIC and AVIF through the one decoding path: header, limits, orientation, pixels. The
 * fixtures (fixtures/heif/, made by make.sh there) are 96x64 pictures with a red block at the
 * top left; the rotated ones carry irot/imir as a phone's portrait shot does. Pixels are checked
 * against other decoders: AVIF against sharp (libvips with libheif and its own AV1 decoder),
 * HEIC against PNGs that Debian's heif-convert wrote.
 */
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, upright } from "./decode.ts";
import { InputError } from "./errors.ts";
import {
  heifIsWhole,
  heifOrientation,
  readAvifGrid,
  readHeifHeader,
  readPrimaryItemData,
  sniffHeif,
} from "./heif.ts";
import { readImageInfo } from "./image-info.ts";
import { FULL_LIMITS, PREVIEW_LIMITS } from "./limits.ts";
import { initNodeCodecs } from "./node.ts";

const fixture = async (name: string) =>
  new Uint8Array(await readFile(new URL(`./fixtures/heif/${name}`, import.meta.url)));

/** Another decoder's upright RGB of a file (sharp applies irot/imir through libheif). */
async function reference(name: string) {
  const { data, info } = await sharp(await fixture(name))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data) };
}

/** Largest and mean absolute difference between RGBA and RGB pixels of one size. */
function difference(rgba: Uint8ClampedArray, rgb: Uint8Array) {
  let max = 0;
  let sum = 0;
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(rgba[i + c] - rgb[j + c]);
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { max, mean: sum / rgb.length };
}

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as InputError;
  }
  throw new Error("expected a refusal");
};

beforeAll(initNodeCodecs);

describe("the HEIF container header", () => {
  it("tells HEIC from AVIF by the brands, and image sequences apart", async () => {
    expect(sniffHeif(await fixture("photo.heic"))).toBe("image/heic");
    expect(sniffHeif(await fixture("photo.avif"))).toBe("image/avif");
    const sequence = await fixture("photo.avif");
    sequence.set(new TextEncoder().encode("avis"), 8); // major brand of an animated AVIF
    expect(sniffHeif(sequence)).toBe("sequence");
  });

  it("reads the primary item's size and irot/imir without decoding", async () => {
    expect(readHeifHeader(await fixture("photo.heic"), "image/heic")).toMatchObject({
      width: 96,
      height: 64,
      orientation: 1,
      itemType: "hvc1",
    });
    expect(readHeifHeader(await fixture("photo-irot1.heic"), "image/heic").orientation).toBe(8);
    expect(readHeifHeader(await fixture("photo-irot3-imir1.heic"), "image/heic").orientation).toBe(5);
    expect(readImageInfo(await fixture("photo-irot1-imir0.avif"))).toMatchObject({
      type: "image/avif",
      width: 96,
      height: 64,
      containerOrientation: 5,
    });
  });

  it("maps every irot/imir to the EXIF orientation of the same transform", () => {
    expect([0, 1, 2, 3].map((a) => heifOrientation(a, undefined))).toEqual([1, 8, 3, 6]);
    expect([0, 1, 2, 3].map((a) => heifOrientation(a, 1))).toEqual([2, 7, 4, 5]);
    expect([0, 1, 2, 3].map((a) => heifOrientation(a, 0))).toEqual([4, 5, 2, 7]);
  });

  it("refuses a truncated file from its box lengths, before decoding", async () => {
    const whole = await fixture("photo.heic");
    expect(heifIsWhole(whole)).toBe(true);
    const error = await decodeImage(whole.subarray(0, whole.length - 100), FULL_LIMITS).catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.code).toBe("unreadable_image");
    expect(error.message).toMatch(/HEIC is truncated/);
  });

  it("checks the pixel limits from ispe before decoding (a 48 MP header on a tiny file)", async () => {
    const bytes = await fixture("photo.avif");
    const info = readImageInfo(bytes);
    // Rewrite ispe's width and height in place: the decoder never runs, so the data can stay.
    const at = findIspe(bytes);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 12, 8064);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 16, 6048);
    expect(info.width).toBe(96);
    const error = await decodeImage(bytes, PREVIEW_LIMITS).catch((e) => e);
    expect(error.code).toBe("too_many_pixels");
    expect(error.message).toMatch(/8064x6048/);
  });

  it("answers 415 for JPEG XL and image sequences, naming the supported types", async () => {
    const jxl = new Uint8Array([0xff, 0x0a, 0xfa, 0x7f, 0x01, 0x90, 0x08, 0x06, 0x01, 0x00]);
    const sequence = await fixture("photo.avif");
    sequence.set(new TextEncoder().encode("avis"), 8);
    for (const [bytes, what] of [
      [jxl, /JPEG XL/],
      [sequence, /image sequence/],
    ] as const) {
      const error = refusal(() => readImageInfo(bytes));
      expect(error.status).toBe(415);
      expect(error.message).toMatch(what);
      expect(error.message).toMatch(/JPEG, PNG, WebP, HEIC or AVIF/);
    }
  });
});

/** Offset of the first ispe box (its size field). */
function findIspe(b: Uint8Array): number {
  for (let i = 0; i + 8 < b.length; i++)
    if (b[i + 4] === 0x69 && b[i + 5] === 0x73 && b[i + 6] === 0x70 && b[i + 7] === 0x65) return i;
  throw new Error("no ispe");
}

describe("decoding HEIC and AVIF", () => {
  it.each([
    ["photo.heic", "heic-ref.png"],
    ["photo-irot1.heic", "heic-ref-irot1.png"],
    ["photo-irot3-imir1.heic", "heic-ref-irot3-imir1.png"],
  ])("%s: upright pixels as libheif's own tool decodes them", async (name, png) => {
    const image = await decodeImage(await fixture(name), FULL_LIMITS);
    const shown = upright(image);
    const expected = await reference(png);
    expect([image.width, image.height]).toEqual([expected.width, expected.height]);
    expect([shown.width, shown.height]).toEqual([expected.width, expected.height]);
    const { max, mean } = difference(shown.data, expected.rgb);
    expect(max).toBeLessThanOrEqual(6);
    expect(mean).toBeLessThan(1.5);
  });

  it.each(["photo.avif", "photo-irot1-imir0.avif", "photo-irot3-imir1.avif"])(
    "%s: upright pixels as an independent AVIF decoder shows them",
    async (name) => {
      const image = await decodeImage(await fixture(name), FULL_LIMITS);
      const shown = upright(image);
      const expected = await reference(name);
      expect([image.width, image.height]).toEqual([expected.width, expected.height]);
      expect([shown.width, shown.height]).toEqual([expected.width, expected.height]);
      const { max, mean } = difference(shown.data, expected.rgb);
      expect(max).toBeLessThanOrEqual(6);
      expect(mean).toBeLessThan(1.5);
    },
  );
});

describe("HEIC for a preview: decoded to YCbCr and reduced", () => {
  const need = { width: 320, height: 240 };

  it("serves a 12 MP portrait HEIC (irot) at 1/8 past the 8 MP limit of a full decode", async () => {
    const bytes = await fixture("phone12-irot3.heic");
    const refused = await decodeImage(bytes, PREVIEW_LIMITS).catch((e) => e);
    expect(refused.code).toBe("too_many_pixels");
    const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need });
    expect(image.fullSize).toEqual({ width: 3024, height: 4032 });
    expect([image.stored.width, image.stored.height, image.orientation]).toEqual([378, 504, 1]);
    // Against libheif's own RGB conversion of the whole image, averaged over each 8x8 block.
    const whole = upright(await decodeImage(bytes, FULL_LIMITS));
    let max = 0;
    for (let y = 0; y < 504; y += 7)
      for (let x = 0; x < 378; x += 5)
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let dy = 0; dy < 8; dy++)
            for (let dx = 0; dx < 8; dx++) sum += whole.data[((y * 8 + dy) * 3024 + x * 8 + dx) * 4 + c];
          max = Math.max(max, Math.abs(sum / 64 - image.stored.data[(y * 378 + x) * 4 + c]));
        }
    expect(max).toBeLessThanOrEqual(3);
  });

  it("matches another libheif build's pixels, reduced (heif-convert's PNG averaged per block)", async () => {
    const image = await decodeImage(await fixture("photo-irot1.heic"), PREVIEW_LIMITS, {
      atLeast: { width: 16, height: 24 },
    });
    expect([image.stored.width, image.stored.height]).toEqual([16, 24]); // 64x96 at 1/4
    const expected = await reference("heic-ref-irot1.png");
    let sum = 0;
    for (let y = 0; y < 24; y++)
      for (let x = 0; x < 16; x++)
        for (let c = 0; c < 3; c++) {
          let block = 0;
          for (let dy = 0; dy < 4; dy++)
            for (let dx = 0; dx < 4; dx++) block += expected.rgb[((y * 4 + dy) * 64 + x * 4 + dx) * 3 + c];
          sum += Math.abs(block / 16 - image.stored.data[(y * 16 + x) * 4 + c]);
        }
    expect(sum / (16 * 24 * 3)).toBeLessThan(2);
  });
});

/** The offset of the ispe box (its size field) that says width x height. */
function findIspeOf(b: Uint8Array, width: number, height: number): number {
  const view = new DataView(b.buffer, b.byteOffset);
  for (let at = findIspe(b); at + 20 <= b.length; at++)
    if (
      view.getUint32(at + 4) === 0x69737065 &&
      view.getUint32(at + 12) === width &&
      view.getUint32(at + 16) === height
    )
      return at;
  throw new Error(`no ispe of ${width}x${height}`);
}

/** Mean and largest absolute difference of RGBA from RGB averaged over factor x factor blocks. */
function blockDifference(
  reduced: { width: number; height: number; data: Uint8ClampedArray },
  full: { width: number; rgb: Uint8Array } | { width: number; data: Uint8ClampedArray },
  factor: number,
) {
  const [pixels, channels] = "rgb" in full ? [full.rgb, 3] : [full.data, 4];
  let max = 0;
  let sum = 0;
  for (let y = 0; y < reduced.height; y++)
    for (let x = 0; x < reduced.width; x++)
      for (let c = 0; c < 3; c++) {
        let block = 0;
        for (let dy = 0; dy < factor; dy++)
          for (let dx = 0; dx < factor; dx++)
            block += pixels[((y * factor + dy) * full.width + x * factor + dx) * channels + c];
        const d = Math.abs(block / (factor * factor) - reduced.data[(y * reduced.width + x) * 4 + c]);
        max = Math.max(max, d);
        sum += d;
      }
  return { max, mean: sum / (reduced.width * reduced.height * 3) };
}

describe("grid HEIC (iPhone's 512x512 tiles) for a preview: decoded a tile at a time", () => {
  const need = { width: 320, height: 240 };

  it("reads a grid's tile size from its first tile (iref dimg, then that item's ispe)", async () => {
    expect(readHeifHeader(await fixture("grid24.heic"), "image/heic")).toMatchObject({
      width: 6048,
      height: 4032,
      itemType: "grid",
      tile: { width: 512, height: 512 },
      orientation: 1,
    });
    expect(readHeifHeader(await fixture("grid-irot3.heic"), "image/heic")).toMatchObject({
      width: 1200,
      height: 800,
      tile: { width: 300, height: 300 },
      orientation: 6,
    });
    expect(readHeifHeader(await fixture("photo.heic"), "image/heic").tile).toBeUndefined();
  });

  it("previews a 24 MP 6048x4032 grid (over the 15 MP of a whole-image decode) as heif-convert shows it", async () => {
    const bytes = await fixture("grid24.heic");
    const refused = await decodeImage(bytes, PREVIEW_LIMITS).catch((e) => e);
    expect(refused.code).toBe("too_many_pixels");
    const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need });
    expect(image.fullSize).toEqual({ width: 6048, height: 4032 });
    expect([image.stored.width, image.stored.height, image.orientation]).toEqual([756, 504, 1]);
    // heif-convert's whole image, averaged over 8x8 blocks (make.sh): same size, same pixels
    const expected = await reference("grid24-ref-eighth.png");
    expect([expected.width, expected.height]).toEqual([756, 504]);
    const { max, mean } = difference(image.stored.data, expected.rgb);
    expect(max).toBeLessThanOrEqual(3);
    expect(mean).toBeLessThan(1);
  });

  it("previews a 48 MP 8064x6048 grid: each tile's colour where make_grid.py put it", async () => {
    const image = await decodeImage(await fixture("grid48.heic"), PREVIEW_LIMITS, { atLeast: need });
    expect(image.fullSize).toEqual({ width: 8064, height: 6048 });
    expect([image.stored.width, image.stored.height]).toEqual([1008, 756]);
    // make_grid.py's `tiles`: tile (tx, ty) of 16x12 is one colour; 64 output pixels per tile side
    let max = 0;
    for (let ty = 0; ty < 12; ty++)
      for (let tx = 0; tx < 16; tx++) {
        const colour = [
          40 + Math.floor((200 * tx) / 15),
          40 + Math.floor((200 * ty) / 11),
          160 - 10 * ((tx + ty) % 5),
        ];
        const o = ((ty * 64 + 32) * 1008 + tx * 64 + 32) * 4;
        for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(image.stored.data[o + c] - colour[c]));
      }
    expect(max).toBeLessThanOrEqual(4);
  });

  it.each([
    ["grid-irot3.heic", "grid-ref-irot3.png", 6],
    ["grid-irot1-imir0.heic", "grid-ref-irot1-imir0.png", 5],
  ])(
    "%s: tiles of 300 (blocks straddle them), irot/imir applied as heif-convert does",
    async (name, png, orientation) => {
      const bytes = await fixture(name);
      const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: { width: 100, height: 150 } });
      // reduced as coded (1200x800 / 8), the container's orientation left to upright() as EXIF's
      expect([image.stored.width, image.stored.height, image.orientation]).toEqual([150, 100, orientation]);
      expect([image.width, image.height]).toEqual([800, 1200]);
      const shown = upright(image);
      expect([shown.width, shown.height]).toEqual([100, 150]);
      const expected = await reference(png);
      expect([expected.width, expected.height]).toEqual([800, 1200]);
      // libheif 1.15's RGB differs from 1.23's by up to 6 levels beside the red block's edges
      // (chroma upsampling), as in the full-size comparisons above
      const other = blockDifference(shown, expected, 8);
      expect(other.max).toBeLessThanOrEqual(7);
      expect(other.mean).toBeLessThan(1);
      // against this libheif's own whole-image decode (which applies irot/imir itself)
      const whole = upright(await decodeImage(bytes, FULL_LIMITS));
      const own = blockDifference(shown, whole, 8);
      expect(own.max).toBeLessThanOrEqual(3);
      expect(own.mean).toBeLessThan(1);
    },
  );

  it("limits grids to the scaled 64 MP, and other HEICs to what a whole-image decode fits (15.6 MP here)", async () => {
    const grid = await fixture("grid24.heic");
    const at = findIspeOf(grid, 6048, 4032);
    new DataView(grid.buffer, grid.byteOffset).setUint32(at + 12, 16384);
    new DataView(grid.buffer, grid.byteOffset).setUint32(at + 16, 4000);
    const overGrid = await decodeImage(grid, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    expect(overGrid.code).toBe("too_many_pixels");
    expect(overGrid.message).toMatch(/16384x4000; the limit is 64000000 pixels and 16384 per side/);
    // a single-image HEIC with a 24 MP header: refused before decoding, with the megapixels that fit
    const single = await fixture("photo.heic");
    const view = new DataView(single.buffer, single.byteOffset);
    view.setUint32(findIspe(single) + 12, 6048);
    view.setUint32(findIspe(single) + 16, 4032);
    const overSingle = await decodeImage(single, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    expect(overSingle.code).toBe("too_many_pixels");
    expect(overSingle.message).toMatch(/6048x4032, a HEIC \(decoded reduced\).* may have 15\.6 megapixels/);
  });

  it("reduces a grid of 10-bit tiles too (libheif converts each to 8 bits), as heif-convert shows it", async () => {
    const image = await decodeImage(await fixture("grid-10bit.heic"), PREVIEW_LIMITS, {
      atLeast: { width: 150, height: 100 },
    });
    expect(image.fullSize).toEqual({ width: 1200, height: 800 });
    expect([image.stored.width, image.stored.height]).toEqual([150, 100]);
    // heif-convert's 16-bit PNG, read as 8 bits and averaged over 8x8 blocks (make.sh)
    const expected = await reference("grid-10bit-ref-eighth.png");
    const { max, mean } = difference(image.stored.data, expected.rgb);
    expect(max).toBeLessThanOrEqual(7);
    expect(mean).toBeLessThan(1);
  });

  it("keeps a grid cropped by clap off the tile path, which would lose the crop: refused as a full decode is", async () => {
    const bytes = await fixture("grid-clap.heic");
    expect(readHeifHeader(bytes, "image/heic")).toMatchObject({ itemType: "grid", cropped: true });
    const preview = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    const full = await decodeImage(bytes, FULL_LIMITS).catch((e) => e);
    expect([preview.code, full.code]).toEqual(["unreadable_image", "unreadable_image"]);
  });

  it("answers 400 unreadable_image where the grid's own size is not ispe's (the memory estimate's)", async () => {
    const bytes = await fixture("grid24.heic");
    // ImageGrid in idat: version, flags, rows - 1, columns - 1, then the 16-bit output size
    const at = new TextDecoder("latin1").decode(bytes).indexOf("idat") + 4;
    expect([bytes[at + 2], bytes[at + 3]]).toEqual([7, 11]);
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(at + 4, 6144);
    const error = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    expect([error.status, error.code]).toEqual([400, "unreadable_image"]);
  });

  it("answers 400 unreadable_image for a grid whose tile data is corrupt, not a crash", async () => {
    const bytes = await fixture("grid24.heic");
    // the first tile's first NAL unit length (mdat's payload starts with it): far past its end
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    let at = 0;
    while (view.getUint32(at + 4) !== 0x6d646174) at += view.getUint32(at); // top-level boxes to mdat
    view.setUint32(at + 8, 0x7fffffff);
    const error = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect([error.status, error.code]).toEqual([400, "unreadable_image"]);
    expect(error.message).toBe("the HEIC data could not be decoded");
  });
});

/** The offset of the primary item's first data byte (avifenc: the one extent, in mdat). */
function primaryDataOffset(b: Uint8Array): number {
  const data = readPrimaryItemData(b, "image/avif");
  return data.byteOffset - b.byteOffset;
}

describe("AVIF for a preview: dav1d's YUV planes reduced", () => {
  const need = { width: 320, height: 240 };

  it("reads the primary item's AV1 coding (av1C) and its data (iloc) from the container", async () => {
    const bytes = await fixture("phone12.avif");
    expect(readHeifHeader(bytes, "image/avif")).toMatchObject({
      width: 4032,
      height: 3024,
      itemType: "av01",
      av1: { bitDepth: 8, monochrome: false, subsamplingX: true, subsamplingY: true },
    });
    expect(readHeifHeader(bytes, "image/avif").hasAuxiliary).toBeUndefined();
    // avifenc's default for the 96x64 fixtures is 4:4:4
    expect(readHeifHeader(await fixture("photo.avif"), "image/avif").av1).toMatchObject({
      subsamplingX: false,
      subsamplingY: false,
    });
    const data = readPrimaryItemData(bytes, "image/avif");
    // the item's OBUs, inside the file: a temporal delimiter or sequence header first (types 2, 1)
    expect(data.length).toBeGreaterThan(100);
    expect(data.length).toBeLessThan(bytes.length);
    expect([1, 2]).toContain((data[0] >> 3) & 15);
  });

  it("serves a 12 MP AVIF at 1/8 past the 4 MP of libavif's whole decode, as avifdec shows it", async () => {
    const bytes = await fixture("phone12.avif");
    const refused = await decodeImage(bytes, PREVIEW_LIMITS).catch((e) => e);
    expect(refused.code).toBe("too_many_pixels");
    const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need });
    expect(image.fullSize).toEqual({ width: 4032, height: 3024 });
    expect([image.stored.width, image.stored.height, image.orientation]).toEqual([504, 378, 1]);
    // avifdec's (Debian's libavif with its dav1d) whole image, averaged over 8x8 blocks (make.sh)
    const expected = await reference("phone12-avif-ref-eighth.png");
    expect([expected.width, expected.height]).toEqual([504, 378]);
    const { max, mean } = difference(image.stored.data, expected.rgb);
    expect(max).toBeLessThanOrEqual(3);
    expect(mean).toBeLessThan(0.5);
  });

  it.each([
    ["phone12-irot3.avif", 6],
    ["phone12-irot1-imir0.avif", 5],
  ])("%s: reduced as coded, irot/imir applied as EXIF's (shown 3024x4032)", async (name, orientation) => {
    const image = await decodeImage(await fixture(name), PREVIEW_LIMITS, { atLeast: need });
    expect([image.stored.width, image.stored.height, image.orientation]).toEqual([504, 378, orientation]);
    expect([image.width, image.height]).toEqual([3024, 4032]);
    const shown = upright(image);
    expect([shown.width, shown.height]).toEqual([378, 504]);
    // sharp's whole image (libvips with libheif, which applies irot/imir), averaged over 8x8 blocks
    const expected = await reference(name);
    expect([expected.width, expected.height]).toEqual([3024, 4032]);
    const { max, mean } = blockDifference(shown, expected, 8);
    expect(max).toBeLessThanOrEqual(3);
    expect(mean).toBeLessThan(0.5);
  });

  it("keeps codings dav1d's planes are not reduced from on libavif's whole decode and its 4 MP (a 4:4:4 file)", async () => {
    const bytes = await fixture("photo.avif"); // 4:4:4
    const at = findIspe(bytes);
    // 6 MP: inside the 8 MP of a whole decode, over the memory libavif's takes
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 12, 3000);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 16, 2000);
    const error = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    expect(error.code).toBe("too_many_pixels");
    expect(error.message).toMatch(/3000x2000, a AVIF, which takes more memory.* may have 4\.0 megapixels/);
    // small enough for the whole decode: as before, full size
    const small = await decodeImage(await fixture("photo.avif"), PREVIEW_LIMITS, {
      atLeast: { width: 8, height: 8 },
    });
    expect([small.stored.width, small.stored.height, small.fullSize]).toEqual([96, 64, undefined]);
  });

  it("limits reduced AVIFs by dav1d's memory: a 48 MP header is refused with the 32 MP that fit", async () => {
    const bytes = await fixture("phone12.avif");
    const at = findIspeOf(bytes, 4032, 3024);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 12, 8064);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 16, 6048);
    const error = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    expect(error.code).toBe("too_many_pixels");
    expect(error.message).toMatch(/8064x6048, a AVIF \(decoded reduced\).* may have 32\.\d megapixels/);
  });

  it("answers 400 unreadable_image where the picture is not ispe's size, or the AV1 data is corrupt", async () => {
    const resized = await fixture("phone12.avif");
    const at = findIspeOf(resized, 4032, 3024);
    new DataView(resized.buffer, resized.byteOffset).setUint32(at + 12, 4000);
    const corrupt = await fixture("phone12.avif");
    const data = primaryDataOffset(corrupt);
    corrupt.fill(0xff, data + 20, data + 400); // inside the frame's OBU
    for (const bytes of [resized, corrupt]) {
      const error = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
      expect(error).toBeInstanceOf(InputError);
      expect([error.status, error.code, error.message]).toEqual([
        400,
        "unreadable_image",
        "the AVIF data could not be decoded",
      ]);
    }
    // each image has its own decoder instance: the next one decodes as ever
    const image = await decodeImage(await fixture("phone12.avif"), PREVIEW_LIMITS, { atLeast: need });
    expect(image.stored.width).toBe(504);
  });
});

describe("grid AVIF (1024x1024 AV1 tiles) for a preview: decoded a tile at a time", () => {
  const need = { width: 320, height: 240 };

  it("reads the grid (ImageGrid in idat) and its tiles in iref dimg order, each with its data and av1C", async () => {
    const bytes = await fixture("grid24.avif");
    expect(readHeifHeader(bytes, "image/avif")).toMatchObject({
      width: 6144,
      height: 4096,
      itemType: "grid",
      tile: { width: 1024, height: 1024 },
    });
    const grid = readAvifGrid(bytes);
    expect([grid.columns, grid.rows, grid.width, grid.height, grid.tiles.length]).toEqual([
      6, 4, 6144, 4096, 24,
    ]);
    expect(grid.tiles.every((t) => t.av1?.bitDepth === 8 && t.data.length > 0)).toBe(true);
  });

  it("previews a 24 MP 6144x4096 grid (libavif's whole decode: 4 MP) as avifdec shows it", async () => {
    const bytes = await fixture("grid24.avif");
    const refused = await decodeImage(bytes, PREVIEW_LIMITS).catch((e) => e);
    expect(refused.code).toBe("too_many_pixels");
    const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need });
    expect(image.fullSize).toEqual({ width: 6144, height: 4096 });
    expect([image.stored.width, image.stored.height, image.orientation]).toEqual([768, 512, 1]);
    // avifdec's whole image averaged over 8x8 blocks (make.sh)
    const expected = await reference("grid24-avif-ref-eighth.png");
    expect([expected.width, expected.height]).toEqual([768, 512]);
    const { max, mean } = difference(image.stored.data, expected.rgb);
    expect(max).toBeLessThanOrEqual(4);
    expect(mean).toBeLessThan(0.5);
  });

  it("previews a 48 MP 8192x6144 grid rotated by irot 3 (shown 6144x8192) as avifdec's pixels turned", async () => {
    const bytes = await fixture("grid48-irot3.avif");
    const image = await decodeImage(bytes, PREVIEW_LIMITS, { atLeast: need });
    expect(image.fullSize).toEqual({ width: 6144, height: 8192 });
    expect([image.stored.width, image.stored.height, image.orientation]).toEqual([1024, 768, 6]);
    const shown = upright(image);
    expect([shown.width, shown.height]).toEqual([768, 1024]);
    // avifdec's whole image (as coded) averaged over 8x8 blocks and turned a quarter clockwise as
    // irot 3 says, by PIL (make.sh). Not sharp's: its libheif turns each tile of a grid on its own.
    const expected = await reference("grid48-irot3-avif-ref-eighth.png");
    expect([expected.width, expected.height]).toEqual([768, 1024]);
    const { max, mean } = difference(shown.data, expected.rgb);
    expect(max).toBeLessThanOrEqual(5);
    expect(mean).toBeLessThan(0.5);
  });

  it("limits grids to the scaled 64 MP, and answers 400 where the grid's size is not ispe's", async () => {
    const over = await fixture("grid24.avif");
    const at = findIspeOf(over, 6144, 4096);
    new DataView(over.buffer, over.byteOffset).setUint32(at + 12, 16384);
    const error = await decodeImage(over, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    expect(error.code).toBe("too_many_pixels");
    expect(error.message).toMatch(/16384x4096; the limit is 64000000 pixels and 16384 per side/);
    const other = await fixture("grid24.avif");
    new DataView(other.buffer, other.byteOffset).setUint32(at + 12, 6000);
    const mismatch = await decodeImage(other, PREVIEW_LIMITS, { atLeast: need }).catch((e) => e);
    expect([mismatch.status, mismatch.code, mismatch.message]).toEqual([
      400,
      "unreadable_image",
      "the AVIF data could not be decoded",
    ]);
  });
});
