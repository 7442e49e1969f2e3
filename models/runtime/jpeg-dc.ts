/**
 * A JPEG decoded at 1/8 scale from its DC coefficients alone: each 8x8 block's DC coefficient
 * is its mean (times 8, after dequantisation), so one pixel per block is the image at 1/8 with
 * every block averaged, which is what a preview resized to 320x240 needs from a 12 or 48 MP
 * photo. libjpeg does the same for `scale_denom = 8`; none of the wasm decoders on npm expose
 * that (jSquash's mozjpeg decodes every pixel), so this is the part of a decoder it takes:
 *
 *   - baseline and extended Huffman (SOF0, SOF1): every scan is Huffman-decoded, AC
 *     coefficients only skipped over, no IDCT;
 *   - progressive (SOF2): the DC scans (first and refinement) are decoded and every AC scan
 *     is skipped by its length, without decoding it;
 *   - restart intervals, any sampling factors, interleaved or not; greyscale, YCbCr (JFIF's
 *     full-range BT.601) and RGB (Adobe transform 0, or components named R, G, B).
 *
 * Anything else (CMYK, 12-bit, arithmetic coding, lossless, hierarchical, a scan that does not
 * parse) returns null, and the caller decodes the whole image as before; scan data that ends
 * before its last block throws `unreadable_image` "truncated", as the full decode does. Memory: the file, one
 * DC value per block (2 bytes per 64 pixels per component) and the 1/8 RGBA.
 */
import type { Rgba } from "./codecs.ts";
import { InputError } from "./errors.ts";

interface Component {
  id: number;
  h: number;
  v: number;
  quant: number;
  /** blocks per line and per column in the padded MCU grid */
  stride: number;
  rows: number;
  /** blocks covering the image (non-interleaved scans go over these only) */
  blocksWide: number;
  blocksHigh: number;
  dc: Int32Array;
  dcTable: number;
  acTable: number;
  pred: number;
}

/** A canonical Huffman table: fast lookup of codes up to 9 bits, then the slow path. */
interface Huffman {
  /** (symbol << 4) | length for every 9-bit prefix, or 0 where the code is longer */
  fast: Uint16Array;
  maxcode: Int32Array;
  valptr: Int32Array;
  values: Uint8Array;
}

const FAST_BITS = 9;

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const fast = new Uint16Array(1 << FAST_BITS);
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    valptr[length] = k - code;
    for (let i = 0; i < counts[length - 1]; i++, k++, code++) {
      if (length <= FAST_BITS) {
        const shift = FAST_BITS - length;
        for (let j = 0; j < 1 << shift; j++) fast[(code << shift) | j] = (values[k] << 4) | length;
      }
    }
    maxcode[length] = code - 1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { fast, maxcode, valptr, values };
}

class ParseError extends Error {}

/** Entropy-coded data: byte stuffing undone, a marker ends the data (zeros are read past it). */
class BitReader {
  /** the next bits, left-aligned; `count` of them are valid (skipAc works on them directly) */
  bits = 0;
  count = 0;
  /** true once a marker has been reached: the bits read after it are padding */
  atMarker = false;
  /** zero bits added past the marker: reading into them means the data ended early */
  private padding = 0;
  private readonly b: Uint8Array;
  pos: number;
  constructor(b: Uint8Array, pos: number) {
    this.b = b;
    this.pos = pos;
  }

  fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      if (this.atMarker || this.pos >= this.b.length) this.padding += 8;
      else {
        byte = this.b[this.pos];
        if (byte === 0xff) {
          const next = this.b[this.pos + 1];
          if (next === 0) this.pos += 2;
          else {
            this.atMarker = true;
            this.padding += 8;
            byte = 0;
          }
        } else this.pos++;
      }
      this.bits = (this.bits | (byte << (24 - this.count))) >>> 0;
      this.count += 8;
    }
  }

  peek(n: number): number {
    if (this.count < n) this.fill();
    return this.bits >>> (32 - n);
  }

  skip(n: number): void {
    this.bits = (this.bits << n) >>> 0;
    this.count -= n;
  }

  read(n: number): number {
    if (n === 0) return 0;
    const v = this.peek(n);
    this.skip(n);
    return v;
  }

  /** A Huffman-coded symbol. */
  decode(table: Huffman): number {
    const entry = table.fast[this.peek(FAST_BITS)];
    if (entry) {
      this.skip(entry & 15);
      return entry >> 4;
    }
    const word = this.peek(16);
    let length = FAST_BITS + 1;
    while (length <= 16 && word >>> (16 - length) > table.maxcode[length]) length++;
    if (length > 16) {
      // Past the data, a bad code is the data ending early; before it, a corrupt file (whose
      // caller decodes it the full way, as libjpeg does, warnings and all).
      if (this.atMarker) this.checkNotShort();
      throw new ParseError("bad Huffman code");
    }
    this.skip(length);
    return table.values[table.valptr[length] + (word >>> (16 - length))];
  }

  /** An s-bit magnitude, sign-extended (the JPEG EXTEND procedure). */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    const v = this.read(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** Throw if the bits read so far ran past the data into the padding after a marker. */
  checkNotShort(): void {
    if (this.count < this.padding) {
      throw new InputError("unreadable_image", "the JPEG is truncated: its scan data ends early");
    }
  }

  /** Drop the bits left in the byte, and the RSTn marker there (restart intervals). */
  restart(): void {
    this.checkNotShort();
    this.padding = 0;
    this.bits = 0;
    this.count = 0;
    const b = this.b;
    let i = this.pos;
    while (i + 1 < b.length && !(b[i] === 0xff && b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7)) {
      if (b[i] === 0xff && b[i + 1] !== 0 && b[i + 1] !== 0xff) break; // another marker: stop
      i++;
    }
    if (i + 1 < b.length && b[i] === 0xff && b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7) i += 2;
    this.pos = i;
    this.atMarker = false;
  }
}

/**
 * Read past one block's AC coefficients (baseline): their Huffman symbols say how many bits
 * each takes, and the bits themselves are not needed at 1/8 scale. The hot loop of a baseline
 * file, so it works on the reader's bit buffer in locals.
 */
function skipAc(reader: BitReader, table: Huffman, se: number): void {
  let bits = reader.bits;
  let count = reader.count;
  const fast = table.fast;
  for (let k = 1; k <= se; ) {
    if (count < 25) {
      reader.bits = bits;
      reader.count = count;
      reader.fill();
      bits = reader.bits;
      count = reader.count;
    }
    const entry = fast[bits >>> (32 - FAST_BITS)];
    let rs: number;
    if (entry) {
      const length = entry & 15;
      bits = (bits << length) >>> 0;
      count -= length;
      rs = entry >> 4;
    } else {
      reader.bits = bits;
      reader.count = count;
      rs = reader.decode(table);
      if (reader.count < 16) reader.fill();
      bits = reader.bits;
      count = reader.count;
    }
    const size = rs & 15;
    if (size === 0) {
      if (rs >> 4 !== 15) break;
      k += 16;
      continue;
    }
    k += (rs >> 4) + 1;
    bits = (bits << size) >>> 0; // the coefficient's bits (at most 15: at least 16 are loaded)
    count -= size;
  }
  reader.bits = bits;
  reader.count = count;
}

/** Where the entropy-coded data from `pos` ends: the first marker that is not RSTn. */
function endOfScan(b: Uint8Array, pos: number): number {
  for (let i = pos; i + 1 < b.length; i++) {
    if (b[i] !== 0xff) continue;
    const next = b[i + 1];
    if (next === 0 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) continue;
    return i;
  }
  return b.length;
}

const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];

/**
 * The image at 1/8 scale (ceil(width / 8) x ceil(height / 8), as stored: EXIF orientation
 * not applied), or null where this decoder does not handle the file.
 */
export function decodeJpegDc(b: Uint8Array): Rgba | null {
  try {
    return decode(b);
  } catch (error) {
    if (error instanceof ParseError || error instanceof RangeError) return null;
    throw error;
  }
}

function decode(b: Uint8Array): Rgba | null {
  const quant: Int32Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  const components: Component[] = [];
  let width = 0;
  let height = 0;
  let progressive = false;
  let restartInterval = 0;
  let adobeTransform: number | undefined;
  let hmax = 1;
  let vmax = 1;
  let mcusWide = 0;
  let mcusHigh = 0;
  let i = 2;
  if (b[0] !== 0xff || b[1] !== 0xd8) return null;
  for (;;) {
    if (i + 2 > b.length) throw new ParseError("no end of image");
    if (b[i] !== 0xff) throw new ParseError("expected a marker");
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd9) break; // EOI
    if (marker >= 0xd0 && marker <= 0xd7) {
      i += 2;
      continue;
    }
    if (i + 4 > b.length) throw new ParseError("no end of image");
    const length = be16(b, i + 2);
    const start = i + 4;
    const end = i + 2 + length;
    if (end > b.length) throw new ParseError("segment past the end");
    if (marker === 0xdb) {
      for (let p = start; p < end; ) {
        const precision = b[p] >> 4;
        const id = b[p] & 15;
        // Only the DC entry (the first in zigzag order) is needed.
        quant[id] = Int32Array.of(precision ? be16(b, p + 1) : b[p + 1]);
        p += 1 + (precision ? 128 : 64);
      }
    } else if (marker === 0xc4) {
      for (let p = start; p < end; ) {
        const tableClass = b[p] >> 4;
        const id = b[p] & 15;
        const counts = b.subarray(p + 1, p + 17);
        const total = counts.reduce((a, n) => a + n, 0);
        const table = buildHuffman(counts, b.subarray(p + 17, p + 17 + total));
        (tableClass === 0 ? dcTables : acTables)[id] = table;
        p += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = be16(b, start);
    } else if (
      marker === 0xee &&
      length >= 12 &&
      String.fromCharCode(...b.subarray(start, start + 5)) === "Adobe"
    ) {
      adobeTransform = b[start + 11];
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // SOF0 (baseline), SOF1 (extended Huffman), SOF2 (progressive Huffman) only, 8-bit.
      if (marker > 0xc2 || b[start] !== 8 || components.length > 0) return null;
      progressive = marker === 0xc2;
      height = be16(b, start + 1);
      width = be16(b, start + 3);
      const count = b[start + 5];
      if (count !== 1 && count !== 3) return null; // CMYK/YCCK go the full way
      if (!(width > 0 && height > 0)) return null;
      for (let k = 0; k < count; k++) {
        const p = start + 6 + 3 * k;
        const h = b[p + 1] >> 4;
        const v = b[p + 1] & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) throw new ParseError("bad sampling factors");
        components.push({
          id: b[p],
          h,
          v,
          quant: b[p + 2],
          stride: 0,
          rows: 0,
          blocksWide: 0,
          blocksHigh: 0,
          dc: new Int32Array(0),
          dcTable: 0,
          acTable: 0,
          pred: 0,
        });
      }
      hmax = Math.max(...components.map((c) => c.h));
      vmax = Math.max(...components.map((c) => c.v));
      mcusWide = Math.ceil(width / (8 * hmax));
      mcusHigh = Math.ceil(height / (8 * vmax));
      for (const c of components) {
        c.stride = mcusWide * c.h;
        c.rows = mcusHigh * c.v;
        c.blocksWide = Math.ceil(Math.ceil((width * c.h) / hmax) / 8);
        c.blocksHigh = Math.ceil(Math.ceil((height * c.v) / vmax) / 8);
        c.dc = new Int32Array(c.stride * c.rows);
      }
    } else if (marker === 0xda) {
      if (components.length === 0) throw new ParseError("scan before frame");
      const count = b[start];
      const inScan: Component[] = [];
      for (let k = 0; k < count; k++) {
        const c = components.find((x) => x.id === b[start + 1 + 2 * k]);
        if (!c) throw new ParseError("scan of an unknown component");
        c.dcTable = b[start + 2 + 2 * k] >> 4;
        c.acTable = b[start + 2 + 2 * k] & 15;
        inScan.push(c);
      }
      const p = start + 1 + 2 * count;
      const ss = b[p];
      const se = b[p + 1];
      const ah = b[p + 2] >> 4;
      const al = b[p + 2] & 15;
      let next: number;
      if (progressive && ss > 0)
        next = endOfScan(b, end); // AC scans: nothing we need
      else {
        const reader = new BitReader(b, end);
        decodeScan(reader, inScan, { progressive, se, ah, al, restartInterval, mcusWide, mcusHigh });
        reader.checkNotShort();
        next = endOfScan(b, reader.pos);
      }
      i = next;
      continue;
    } else if ((marker >= 0xc3 && marker <= 0xcf) || marker === 0xde || marker === 0xdf) {
      return null;
    }
    i = end;
  }
  if (components.length === 0) return null;
  return toRgba(components, width, height, hmax, vmax, quant, adobeTransform);

  function decodeScan(
    reader: BitReader,
    inScan: Component[],
    scan: {
      progressive: boolean;
      se: number;
      ah: number;
      al: number;
      restartInterval: number;
      mcusWide: number;
      mcusHigh: number;
    },
  ): void {
    for (const c of inScan) c.pred = 0;
    const block = (c: Component, index: number) => {
      if (scan.progressive) {
        if (scan.ah === 0) {
          const dc = dcTables[c.dcTable];
          if (!dc) throw new ParseError("missing DC table");
          const t = reader.decode(dc);
          c.pred += reader.receiveExtend(t);
          c.dc[index] = c.pred * (1 << scan.al);
        } else if (reader.read(1)) c.dc[index] |= 1 << scan.al;
        return;
      }
      const dc = dcTables[c.dcTable];
      const ac = acTables[c.acTable];
      if (!dc || (!ac && scan.se > 0)) throw new ParseError("missing Huffman table");
      c.pred += reader.receiveExtend(reader.decode(dc));
      c.dc[index] = c.pred;
      if (scan.se > 0) skipAc(reader, ac, scan.se);
    };
    let units = 0;
    const restart = () => {
      if (scan.restartInterval && units > 0 && units % scan.restartInterval === 0) {
        reader.restart();
        for (const c of inScan) c.pred = 0;
      }
    };
    if (inScan.length === 1) {
      const c = inScan[0];
      for (let y = 0; y < c.blocksHigh; y++)
        for (let x = 0; x < c.blocksWide; x++) {
          restart();
          block(c, y * c.stride + x);
          units++;
        }
      return;
    }
    for (let my = 0; my < scan.mcusHigh; my++)
      for (let mx = 0; mx < scan.mcusWide; mx++) {
        restart();
        for (const c of inScan)
          for (let v = 0; v < c.v; v++)
            for (let h = 0; h < c.h; h++) block(c, (my * c.v + v) * c.stride + mx * c.h + h);
        units++;
      }
  }
}

/** Block index pairs and weights for `out` output blocks of a component at `ratio` of luma's. */
function taps(out: number, ratio: number, blocks: number) {
  const lo = new Int32Array(out);
  const hi = new Int32Array(out);
  const frac = new Float32Array(out);
  for (let i = 0; i < out; i++) {
    const at = Math.min(blocks - 1, Math.max(0, (i + 0.5) * ratio - 0.5));
    lo[i] = Math.floor(at);
    hi[i] = Math.min(blocks - 1, lo[i] + 1);
    frac[i] = at - lo[i];
  }
  return { lo, hi, frac };
}

/**
 * One pixel per luma block: DC * quantiser / 8 + 128 (the block's mean), chroma interpolated;
 * the clamped array rounds and clips.
 */
function toRgba(
  components: Component[],
  width: number,
  height: number,
  hmax: number,
  vmax: number,
  quant: Int32Array[],
  adobeTransform: number | undefined,
): Rgba {
  const outWidth = Math.ceil(width / 8);
  const outHeight = Math.ceil(height / 8);
  const data = new Uint8ClampedArray(outWidth * outHeight * 4);
  const planes = components.map((c) => {
    const q = quant[c.quant]?.[0];
    if (q === undefined) throw new ParseError("missing quantisation table");
    // A subsampled component's DC values are samples at its blocks' centres: interpolated
    // bilinearly to the luma blocks' centres (libjpeg's "fancy" upsampling does the same to
    // chroma at full size), not repeated, which would leave a 16x16 step in smooth colour.
    const xs = taps(outWidth, c.h / hmax, c.blocksWide);
    const ys = taps(outHeight, c.v / vmax, c.blocksHigh);
    const plane = new Float32Array(outWidth * outHeight);
    for (let y = 0; y < outHeight; y++) {
      const top = ys.lo[y] * c.stride;
      const bottom = ys.hi[y] * c.stride;
      const fy = ys.frac[y];
      for (let x = 0; x < outWidth; x++) {
        const fx = xs.frac[x];
        const upper = c.dc[top + xs.lo[x]] * (1 - fx) + c.dc[top + xs.hi[x]] * fx;
        const lower = c.dc[bottom + xs.lo[x]] * (1 - fx) + c.dc[bottom + xs.hi[x]] * fx;
        plane[y * outWidth + x] = ((upper * (1 - fy) + lower * fy) * q) / 8 + 128;
      }
    }
    return plane;
  });
  const ids = components.map((c) => c.id).join(",");
  const rgb =
    components.length === 3 && (adobeTransform === 0 || (adobeTransform === undefined && ids === "82,71,66"));
  for (let p = 0, o = 0; p < outWidth * outHeight; p++, o += 4) {
    if (components.length === 1) {
      data[o] = data[o + 1] = data[o + 2] = planes[0][p];
    } else if (rgb) {
      data[o] = planes[0][p];
      data[o + 1] = planes[1][p];
      data[o + 2] = planes[2][p];
    } else {
      const y = planes[0][p];
      const cb = planes[1][p] - 128;
      const cr = planes[2][p] - 128;
      data[o] = y + 1.402 * cr;
      data[o + 1] = y - 0.344136 * cb - 0.714136 * cr;
      data[o + 2] = y + 1.772 * cb;
    }
    data[o + 3] = 255;
  }
  return { width: outWidth, height: outHeight, data };
}
