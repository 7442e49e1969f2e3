import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import stockJpeg, { init as initStockJpeg } from "@jsquash/jpeg/decode.js";
import stockPng, { init as initStockPng } from "@jsquash/png/decode.js";
import stockWebp, { init as initStockWebp } from "@jsquash/webp/decode.js";
import { beforeAll, describe, expect, it } from "vitest";
import { jpeg, png, webpWith } from "../../test/fixtures/images.ts";
import { type BitDepth, type ColourType, encodePngVariant } from "../../test/fixtures/png-writer.ts";
import {
  av1MaxFrameSize,
  type CodecModules,
  decodeAvifGridReduced,
  decodeAvifReduced,
  decodeHeicGridReduced,
  decodeJpeg,
  decodePng,
  decodeWebp,
} from "./codecs.ts";
import { readAvifGrid, readHeifHeader, readPrimaryItemData } from "./heif.ts";

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
    av1: await compile("ogv/dist/ogv-decoder-video-av1-wasm.wasm"),
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

describe("an AVIF decoded by dav1d (ogv.js) to YUV and reduced from its heap", () => {
  const phone12 = async () =>
    new Uint8Array(await readFile(new URL("./fixtures/heif/phone12.avif", import.meta.url)));

  it("decodes a 12 MP 4:2:0 AVIF in about 30 MB of heap (libavif's whole decode: 191 MB and a 49 MB copy)", async () => {
    const bytes = await phone12();
    const header = readHeifHeader(bytes, "image/avif");
    const started = performance.now();
    const image = await decodeAvifReduced(modules.av1, readPrimaryItemData(bytes, "image/avif"), 8, header);
    const ms = performance.now() - started;
    expect([image.width, image.height]).toEqual([504, 378]);
    // measured 29.9 MB (image-info.ts's estimate: 4 MB + 2.36 bytes per pixel, 32.8 MB)
    expect(image.heapBytes).toBeLessThan(32e6);
    console.log(
      `12 MP AVIF reduced by 8: ${ms.toFixed(0)} ms, dav1d's heap ${(image.heapBytes / 1e6).toFixed(1)} MB`,
    );
  });

  it("puts av1C's configOBUs first where the item's data has no sequence header", async () => {
    const bytes = await phone12();
    const header = readHeifHeader(bytes, "image/avif");
    const data = readPrimaryItemData(bytes, "image/avif");
    // Split the item's OBUs (each with its size field) into the sequence header and the rest.
    const sequence: Uint8Array[] = [];
    const rest: Uint8Array[] = [];
    for (let i = 0; i < data.length; ) {
      let at = i + ((data[i] & 4) !== 0 ? 2 : 1);
      let size = 0;
      for (let k = 0; ; k++) {
        const byte = data[at++];
        size += (byte & 0x7f) * 2 ** (7 * k);
        if (!(byte & 0x80)) break;
      }
      ((data[i] >> 3) & 15) === 1
        ? sequence.push(data.subarray(i, at + size))
        : rest.push(data.subarray(i, at + size));
      i = at + size;
    }
    expect(sequence.length).toBe(1);
    const withoutHeader = Buffer.concat(rest);
    const whole = await decodeAvifReduced(modules.av1, data, 8, header);
    const split = await decodeAvifReduced(modules.av1, withoutHeader, 8, {
      ...header,
      configObus: sequence[0],
    });
    expect(Buffer.compare(Buffer.from(split.data), Buffer.from(whole.data))).toBe(0);
    // without it there is nothing to decode the frame by (nor to check its size against)
    await expect(decodeAvifReduced(modules.av1, withoutHeader, 8, header)).rejects.toThrow(
      /no sequence header/,
    );
  });

  it("reads the largest frame the sequence header allows, and refuses one larger than ispe before dav1d sizes its buffers by it", async () => {
    const bytes = await phone12();
    const data = readPrimaryItemData(bytes, "image/avif");
    expect(av1MaxFrameSize(data)).toEqual({ width: 4032, height: 3024 });
    const tile = readAvifGrid(
      new Uint8Array(await readFile(new URL("./fixtures/heif/grid24.avif", import.meta.url))),
    ).tiles[0];
    expect(av1MaxFrameSize(tile.data)).toEqual({ width: 1024, height: 1024 });
    // a container that claims a small image over a 12 MP frame: a decompression bomb's shape
    const header = { ...readHeifHeader(bytes, "image/avif"), width: 640, height: 480 };
    await expect(decodeAvifReduced(modules.av1, data, 2, header)).rejects.toThrow(
      /sequence header allows 4032x3024, the container says 640x480/,
    );
  });
});

describe("a grid AVIF decoded by dav1d a tile at a time", () => {
  it.each([
    ["grid24.avif", 6144, 4096],
    ["grid48-irot3.avif", 8192, 6144],
  ])(
    "%s (%ix%i in 1024x1024 tiles) leaves dav1d's heap at its initial 17.2 MB",
    async (name, width, height) => {
      const bytes = new Uint8Array(await readFile(new URL(`./fixtures/heif/${name}`, import.meta.url)));
      const header = readHeifHeader(bytes, "image/avif");
      const grid = readAvifGrid(bytes);
      const tiles = grid.tiles.map((t) => ({ data: t.data, configObus: t.av1?.configObus }));
      const started = performance.now();
      const image = await decodeAvifGridReduced(modules.av1, { ...grid, tiles }, 8, {
        ...header,
        tile: header.tile!,
      });
      const ms = performance.now() - started;
      expect([image.width, image.height]).toEqual([width / 8, height / 8]);
      // a whole-image decode to YUV would take 2.3 bytes per pixel: 58 MB at 24 MP, 116 MB at 48
      expect(image.heapBytes).toBeLessThan(18e6);
      console.log(
        `${name} reduced by 8: ${ms.toFixed(0)} ms, dav1d's heap ${(image.heapBytes / 1e6).toFixed(1)} MB`,
      );
    },
  );
});
