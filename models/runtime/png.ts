/**
 * Indexed-colour (palette) PNG: pixel values are class ids, the palette holds class colours,
 * so the file is both a viewable picture and the exact label map.
 */
import { unzlibSync, Zlib } from "fflate";
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
): Uint8Array {
  return encodeLabelMapPng(fullSizeLabels(labels, width, height), palette);
}

/**
 * Encode a label map at its displayed size as an 8-bit palette PNG, upscaling by nearest
 * neighbour one row at a time while deflating: neither full-size labels nor the PNG's raw
 * rows are ever held (for a 12 MP photo that is 24 MB saved), only the compressed stream.
 */
export function encodeLabelMapPng(
  map: LabelMap,
  palette: ReadonlyArray<readonly [number, number, number]>,
): Uint8Array {
  const { width, height, inference, inferenceLabels: labels } = map;
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 3, 0, 0, 0], 8); // bit depth 8, colour type 3 (indexed)
  const plte = new Uint8Array(palette.length * 3);
  for (const [i, rgb] of palette.entries()) plte.set(rgb, i * 3);

  const compressed: Uint8Array[] = [];
  // IDAT is one zlib stream; label maps compress well even at a fast level.
  const zlib = new Zlib({ level: 3 }, (chunk) => compressed.push(chunk));
  const xmap = nearestIndex(inference.width, width);
  const ymap = nearestIndex(inference.height, height);
  const row = new Uint8Array(width + 1); // filter byte 0 (None), then the row's class ids
  let filled = -1; // the source row `row` holds: consecutive rows often repeat it
  for (let y = 0; y < height; y++) {
    const from = ymap[y] * inference.width;
    if (from !== filled) {
      for (let x = 0; x < width; x++) row[x + 1] = labels[from + xmap[x]];
      filled = from;
    }
    zlib.push(row, y === height - 1); // push copies the row into fflate's window
  }
  const idat = concat(compressed);
  return concat([
    SIGNATURE,
    pngChunk("IHDR", ihdr),
    pngChunk("PLTE", plte),
    pngChunk("IDAT", idat),
    pngChunk("IEND", new Uint8Array()),
  ]);
}

/** Byte arrays joined end to end. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface PalettePng {
  width: number;
  height: number;
  labels: Uint8Array;
  palette: [number, number, number][];
}

/** Decode an 8-bit palette PNG back to its indices (for tests and clients). */
export function decodePalettePng(bytes: Uint8Array): PalettePng {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  const palette: [number, number, number][] = [];
  const idat: Uint8Array[] = [];
  while (pos < bytes.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      if (data[8] !== 8 || data[9] !== 3 || data[12] !== 0)
        throw new Error("not an 8-bit non-interlaced palette PNG");
    } else if (type === "PLTE") {
      for (let i = 0; i + 2 < data.length; i += 3) palette.push([data[i], data[i + 1], data[i + 2]]);
    } else if (type === "IDAT") idat.push(data);
    pos += 12 + length;
  }
  const raw = unzlibSync(concat(idat));
  const labels = new Uint8Array(width * height);
  const stride = width + 1;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * stride];
    for (let x = 0; x < width; x++) {
      const cur = raw[y * stride + 1 + x];
      const a = x > 0 ? labels[y * width + x - 1] : 0;
      const b = y > 0 ? labels[(y - 1) * width + x] : 0;
      const c = x > 0 && y > 0 ? labels[(y - 1) * width + x - 1] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      labels[y * width + x] = (cur + pred) & 0xff;
    }
  }
  return { width, height, labels, palette };
}
