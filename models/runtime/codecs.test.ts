import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import stockJpeg, { init as initStockJpeg } from "@jsquash/jpeg/decode.js";
import stockPng, { init as initStockPng } from "@jsquash/png/decode.js";
import stockWebp, { init as initStockWebp } from "@jsquash/webp/decode.js";
import { beforeAll, describe, expect, it } from "vitest";
import { jpeg, png, webpWith } from "../../test/fixtures/images.ts";
import { type BitDepth, type ColourType, encodePngVariant } from "../../test/fixtures/png-writer.ts";
import { type CodecModules, decodeHeicGridReduced, decodeJpeg, decodePng, decodeWebp } from "./codecs.ts";
import { readHeifHeader } from "./heif.ts";

const require = createRequire(import.meta.url);
const compile = async (specifier: string) => WebAssembly.compile(await readFile(require.resolve(specifier)));
let modules: CodecModules;

beforeAll(async () => {
  modules = {
    jpeg: await compile("@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm"),
    png: await compile("@jsquash/png/codec/pkg/squoosh_png_bg.wasm"),
    webp: await compile("@jsquash/webp/codec/dec/webp_dec.wasm"),
    heic: await compile("libheif-js/libheif-wasm/libheif.wasm"),
    avif: await compile("@jsquash/avif/codec/dec/avif_dec.wasm"),
  };
  await Promise.all([initStockJpeg(modules.jpeg), initStockPng(modules.png), initStockWebp(modules.webp)]);
});

const buffer = (b: Uint8Array) => b.slice().buffer as ArrayBuffer;
const same = (a: { width: number; height: number; data: Uint8ClampedArray }, b: typeof a) =>
  a.width === b.width &&
  a.height === b.height &&
  Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) === 0;

describe("a fresh decoder instance per image", () => {
  it("gives the pixels of the packages' own long-lived decoders (JPEG baseline, progressive; WebP)", async () => {
    for (const bytes of [await jpeg(37, 211, { progressive: false, baseline: true }), await jpeg(80, 60)]) {
      expect(same((await decodeJpeg(modules.jpeg, bytes))!, await stockJpeg(buffer(bytes)))).toBe(true);
    }
    for (const bytes of [await webpWith(64, 48), await webpWith(64, 48, { lossless: 1 }, true)]) {
      expect(same((await decodeWebp(modules.webp, bytes))!, await stockWebp(buffer(bytes)))).toBe(true);
    }
  });

  it("decodes every PNG colour type and bit depth as the package's glue does, without a copy", async () => {
    const variants: [ColourType, BitDepth, boolean?][] = [
      [0, 1],
      [0, 4],
      [0, 8],
      [0, 16],
      [2, 8],
      [2, 16],
      [3, 2],
      [3, 8],
      [4, 8],
      [6, 16],
      [6, 8, true],
    ];
    for (const [colour, depth, interlace] of variants) {
      const bytes = encodePngVariant(33, 17, { colour, depth, interlace });
      const image = decodePng(modules.png, bytes);
      expect(same(image, await stockPng(buffer(bytes))), `colour ${colour}, ${depth} bit`).toBe(true);
      // A view of the discarded instance's heap: nothing else holds or reuses that memory.
      expect(image.data.buffer.byteLength).toBeGreaterThan(image.data.length);
    }
    expect(same(decodePng(modules.png, await png(64, 48)), await stockPng(buffer(await png(64, 48))))).toBe(
      true,
    );
  });

  it("starts clean after a failed decode", async () => {
    const good = await png(8, 8);
    expect(() => decodePng(modules.png, good.slice(0, 60))).toThrow();
    expect(decodePng(modules.png, good).width).toBe(8);
    const goodJpeg = await jpeg(16, 16);
    await expect(decodeJpeg(modules.jpeg, goodJpeg.slice(0, 200))).rejects.toThrow();
    expect((await decodeJpeg(modules.jpeg, goodJpeg))!.width).toBe(16);
  });
});

describe("a grid HEIC decoded a tile at a time", () => {
  it.each([
    ["grid24.heic", 6048, 4032],
    ["grid48.heic", 8064, 6048],
  ])(
    "%s (%ix%i in 512x512 tiles) leaves libheif's heap at its initial 17 MB",
    async (name, width, height) => {
      const bytes = new Uint8Array(await readFile(new URL(`./fixtures/heif/${name}`, import.meta.url)));
      const header = readHeifHeader(bytes, "image/heic");
      const image = await decodeHeicGridReduced(modules.heic, bytes, 8, { ...header, tile: header.tile! });
      expect([image.width, image.height]).toEqual([width / 8, height / 8]);
      // a whole-image decode to YCbCr would take 5.1 bytes per pixel: 124 MB at 24 MP, 249 MB at 48
      expect(image.heapBytes).toBeLessThan(18e6);
    },
  );
});
