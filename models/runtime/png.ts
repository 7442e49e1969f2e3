/**
 * Indexed-colour (palette) PNG: pixel values are class ids, the palette holds class colours,
 * so the file is both a viewable picture and the exact label map.
 */
import { concat } from "./bytes.ts";
import { deflate } from "./deflate.ts";
import { nearestIndex } from "./resize.ts";
import { fullSizeLabels, type LabelMap } from "./tensor.ts";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG chunks use it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data, CRC over type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Encode a (height, width) label map as an 8-bit palette PNG. */
export function encodePalettePng(
  labels: Uint8Array,
  width: number,
  height: number,
  palette: ReadonlyArray<readonly [number, number, number]>,
): Promise<Uint8Array> {
  return encodeLabelMapPng(fullSizeLabels(labels, width, height), palette);
}

/** Rows per deflate block: about 64 KiB of raw rows, at least one row. */
const BLOCK_BYTES = 64 * 1024;

/**
 * Encode a label map at its displayed size as an 8-bit palette PNG, upscaling by nearest
 * neighbour a block of rows at a time while deflating: neither full-size labels nor the PNG's
 * raw rows are ever held (for a 12 MP photo that is 24 MB saved), only a block in flight and
 * the compressed stream.
 */
export async function encodeLabelMapPng(
  map: LabelMap,
  palette: ReadonlyArray<readonly [number, number, number]>,
): Promise<Uint8Array> {
  const { width, height } = map;
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 3, 0, 0, 0], 8); // bit depth 8, colour type 3 (indexed)
  const plte = new Uint8Array(palette.length * 3);
  for (const [i, rgb] of palette.entries()) plte.set(rgb, i * 3);
  const idat = await deflate(filteredRowBlocks(map)); // IDAT is one zlib stream
  return concat([
    SIGNATURE,
    pngChunk("IHDR", ihdr),
    pngChunk("PLTE", plte),
    pngChunk("IDAT", idat),
    pngChunk("IEND", new Uint8Array()),
  ]);
}

/**
 * The PNG's raw scanlines (a filter byte, then the row's class ids at the displayed size), in
 * fresh blocks of whole rows: the deflate stream keeps each block until it has read it.
 */
function* filteredRowBlocks(map: LabelMap): Generator<Uint8Array<ArrayBuffer>> {
  const { width, height, inference, inferenceLabels: labels } = map;
  const stride = width + 1;
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_BYTES / stride));
  const xmap = nearestIndex(inference.width, width);
  const ymap = nearestIndex(inference.height, height);
  for (let y0 = 0; y0 < height; y0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, height - y0);
    const block = new Uint8Array(rows * stride);
    for (let r = 0; r < rows; r++) {
      const y = y0 + r;
      // Upscaled rows mostly repeat the row above: filter type 2 (Up) codes such a row as
      // zeros, which deflate compresses much faster than a copy. Other rows are filter 0.
      if (y > 0 && ymap[y - 1] === ymap[y]) {
        block[r * stride] = 2;
        continue;
      }
      const from = ymap[y] * inference.width;
      const row = block.subarray(r * stride + 1, (r + 1) * stride);
      for (let x = 0; x < width; x++) row[x] = labels[from + xmap[x]];
    }
    yield block;
  }
}
