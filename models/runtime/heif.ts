/**
 * HEIF containers (ISO/IEC 23008-12: HEIC with HEVC, AVIF with AV1) read without decoding a
 * pixel: the primary item's coded size (`ispe`), its `irot`/`imir` transform as the EXIF
 * orientation that does the same, and whether the file is a still image at all.
 *
 * Boxes used: ftyp (brands), meta > pitm (the primary item), iinf > infe (item types), iprp >
 * ipco (properties) + ipma (which item has which), iref `dimg` (a grid's tiles). Bursts and Live Photos are several items
 * of which `pitm` names the one a viewer shows; image sequences (avis, msf1 tracks) are
 * animated formats we do not decode.
 */
import { concat } from "./bytes.ts";
import { InputError } from "./errors.ts";
import type { Orientation } from "./exif.ts";

export type HeifType = "image/heic" | "image/avif";

/** What the container says about its primary image. */
export interface HeifHeader {
  type: HeifType;
  /** the coded size, before irot/imir (for a grid, the whole image's) */
  width: number;
  height: number;
  /** irot and imir as the EXIF orientation a viewer would apply to the coded pixels */
  orientation: Orientation;
  /** the primary item's type: hvc1, av01 or grid (tiles of either) */
  itemType: string;
  /** a grid's tile size: the `ispe` of its first tile (iref `dimg`); all tiles have one size */
  tile?: { width: number; height: number };
  /** the primary item has a `clap` (clean aperture) crop, which phones do not write */
  cropped?: boolean;
  /**
   * YCbCr to RGB as the colr box's nclx says (matrix_coefficients, full_range_flag); without
   * one, libheif's default: BT.601, full range (what it also answers for such files).
   */
  colour: { matrix: number; fullRange: boolean };
  /** an av01 primary item's coding, from its av1C property (absent without one) */
  av1?: Av1Config;
  /** an auxiliary image (alpha, depth ...) refers to the primary item (iref `auxl`) */
  hasAuxiliary?: boolean;
}

/** What an AV1 item's av1C box says (AV1-ISOBMFF 2.3): enough to pick a decoder for it. */
export interface Av1Config {
  /** 8, 10 or 12 */
  bitDepth: number;
  monochrome: boolean;
  /** chroma subsampling: 4:2:0 is true, true; 4:4:4 false, false */
  subsamplingX: boolean;
  subsamplingY: boolean;
  /** configOBUs: the sequence header where the encoder put one there (the item data has its own) */
  configObus: Uint8Array;
}

const HEIC_BRANDS = new Set(["heic", "heix", "heim", "heis"]);
const AVIF_BRANDS = new Set(["avif"]);
/** brands of image sequences (animations, bursts stored as a track) */
const SEQUENCE_BRANDS = new Set(["avis", "msf1", "hevc", "hevx", "hevm", "hevs"]);

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number) =>
  ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

interface Box {
  type: string;
  /** first byte of the payload (after size, type and any large size) */
  start: number;
  end: number;
}

/** The boxes in b[from, to); a box that claims to run past `to` ends the list. */
function boxes(b: Uint8Array, from: number, to: number): Box[] {
  const out: Box[] = [];
  let i = from;
  while (i + 8 <= to) {
    let size = be32(b, i);
    const type = ascii(b, i + 4, 4);
    let header = 8;
    if (size === 1) {
      if (i + 16 > to) break;
      const high = be32(b, i + 8);
      if (high !== 0) break; // a box over 4 GiB cannot be in a body we accept
      size = be32(b, i + 12);
      header = 16;
    } else if (size === 0) size = to - i;
    if (size < header || i + size > to) break;
    out.push({ type, start: i + header, end: i + size });
    i += size;
  }
  return out;
}

/**
 * Whether the top-level boxes (ftyp, meta, mdat ...) reach exactly the end of the file: a cut
 * upload ends inside one, usually the mdat that holds the coded image.
 */
export function heifIsWhole(b: Uint8Array): boolean {
  const list = boxes(b, 0, b.length);
  return list.length > 0 && list[list.length - 1].end === b.length;
}

const child = (list: Box[], type: string) => list.find((box) => box.type === type);

/** The ftyp brands (major first) if the file starts with an ftyp box. */
export function ftypBrands(b: Uint8Array): string[] | undefined {
  if (b.length < 16 || ascii(b, 4, 4) !== "ftyp") return undefined;
  const size = Math.min(be32(b, 0), b.length);
  const brands = [ascii(b, 8, 4)];
  for (let i = 16; i + 4 <= size; i += 4) brands.push(ascii(b, i, 4));
  return brands;
}

/** HEIC or AVIF by the ftyp brands, "sequence" for an image sequence, else undefined. */
export function sniffHeif(b: Uint8Array): HeifType | "sequence" | undefined {
  const brands = ftypBrands(b);
  if (!brands) return undefined;
  if (SEQUENCE_BRANDS.has(brands[0])) return "sequence";
  if (AVIF_BRANDS.has(brands[0]) || (brands[0] === "mif1" && brands.some((x) => AVIF_BRANDS.has(x))))
    return "image/avif";
  if (HEIC_BRANDS.has(brands[0]) || (brands[0] === "mif1" && brands.some((x) => HEIC_BRANDS.has(x))))
    return "image/heic";
  if (brands.some((x) => AVIF_BRANDS.has(x))) return "image/avif";
  if (brands.some((x) => HEIC_BRANDS.has(x))) return "image/heic";
  if (brands.some((x) => SEQUENCE_BRANDS.has(x))) return "sequence";
  return undefined;
}

function unreadable(type: HeifType, what: string): InputError {
  const name = type === "image/heic" ? "HEIC" : "AVIF";
  return new InputError("unreadable_image", `the ${name} header is truncated or malformed: ${what}`);
}

/**
 * EXIF orientation of "rotate `angle` x 90 degrees anticlockwise (irot), then mirror (imir)";
 * MIAF fixes that order. imir's axis as libheif, libavif and the browsers read it: 0 flips top
 * and bottom, 1 flips left and right (the standard's wording has been read both ways; these
 * decoders agree, and the tests check against libheif).
 */
export function heifOrientation(angle: number, mirrorAxis: number | undefined): Orientation {
  // EXIF orientations say how to make the stored image upright; these are the ones whose
  // transform equals the HEIF one, by quarter turns anticlockwise.
  const rotate: Orientation[] = [1, 8, 3, 6];
  const rotateThenFlipLeftRight: Orientation[] = [2, 7, 4, 5];
  // flipping top and bottom is flipping left and right after another half turn
  const rotateThenFlipTopBottom: Orientation[] = [4, 5, 2, 7];
  if (mirrorAxis === undefined) return rotate[angle & 3];
  return (mirrorAxis === 1 ? rotateThenFlipLeftRight : rotateThenFlipTopBottom)[angle & 3];
}

/** The primary item's ID (pitm: 16 bits in version 0, 32 in version 1). */
function primaryItem(b: Uint8Array, inMeta: Box[], type: HeifType): number {
  const pitm = child(inMeta, "pitm");
  if (!pitm) throw unreadable(type, "no primary item");
  return b[pitm.start] === 0 ? be16(b, pitm.start + 4) : be32(b, pitm.start + 4);
}

/** The primary item's type, coded size and orientation, from the meta box. */
export function readHeifHeader(b: Uint8Array, type: HeifType): HeifHeader {
  const inMeta = metaBoxes(b, type);
  const primary = primaryItem(b, inMeta, type);
  const itemType = primaryItemType(b, child(inMeta, "iinf"), primary);
  const propertiesOf = itemProperties(b, inMeta);
  if (!propertiesOf) throw unreadable(type, "no item properties");
  const sizeOf = (id: number) => {
    const ispe = propertiesOf(id).find((p) => p.type === "ispe" && p.start + 12 <= p.end);
    return ispe ? { width: be32(b, ispe.start + 4), height: be32(b, ispe.start + 8) } : undefined;
  };
  const { width = 0, height = 0 } = sizeOf(primary) ?? {};
  let angle = 0;
  let mirrorAxis: number | undefined;
  let cropped = false;
  const colour = { matrix: 6, fullRange: true };
  for (const property of propertiesOf(primary)) {
    if (property.type === "clap") cropped = true;
    else if (property.type === "irot" && property.start < property.end) {
      angle = b[property.start] & 3;
    } else if (property.type === "imir" && property.start < property.end) {
      mirrorAxis = b[property.start] & 1;
    } else if (
      property.type === "colr" &&
      property.start + 11 <= property.end &&
      ascii(b, property.start, 4) === "nclx"
    ) {
      colour.matrix = be16(b, property.start + 8);
      colour.fullRange = (b[property.start + 10] & 0x80) !== 0;
    }
  }
  if (!(width > 0 && height > 0)) throw unreadable(type, "the primary image has no size (ispe)");
  const header: HeifHeader = {
    type,
    width,
    height,
    orientation: heifOrientation(angle, mirrorAxis),
    itemType,
    colour,
  };
  if (cropped) header.cropped = true;
  if (itemType === "av01") {
    const av1C = propertiesOf(primary).find((p) => p.type === "av1C" && p.start + 4 <= p.end);
    if (av1C) header.av1 = av1Config(b, av1C);
  }
  if (referencesTo(b, child(inMeta, "iref"), "auxl", primary)) header.hasAuxiliary = true;
  if (itemType === "grid") {
    // Without it (no dimg, or a tile without ispe) the grid is decoded whole, as other images.
    const first = firstReference(b, child(inMeta, "iref"), "dimg", primary);
    const tile = first === undefined ? undefined : sizeOf(first);
    if (tile && tile.width > 0 && tile.height > 0) header.tile = tile;
  }
  return header;
}

/**
 * The iref box's references, in order: each of type `kind` (dimg, auxl, thmb ...) from one item
 * to others (version 1: 32-bit item IDs). An entry cut short by its box keeps the IDs before the cut.
 */
function itemReferences(
  b: Uint8Array,
  iref: Box | undefined,
): { kind: string; from: number; to: number[] }[] {
  if (!iref) return [];
  const wide = b[iref.start] !== 0;
  const read = (i: number) => (wide ? be32(b, i) : be16(b, i));
  const idBytes = wide ? 4 : 2;
  const out: { kind: string; from: number; to: number[] }[] = [];
  for (const reference of boxes(b, iref.start + 4, iref.end)) {
    if (reference.start + idBytes + 2 > reference.end) continue;
    const count = be16(b, reference.start + idBytes);
    const to: number[] = [];
    for (let k = 0; k < count; k++) {
      const at = reference.start + idBytes + 2 + k * idBytes;
      if (at + idBytes > reference.end) break;
      to.push(read(at));
    }
    out.push({ kind: reference.type, from: read(reference.start), to });
  }
  return out;
}

/** Every item that item `from` references with `kind`, in order (a grid's tiles by `dimg`). */
const allReferences = (b: Uint8Array, iref: Box | undefined, kind: string, from: number): number[] =>
  itemReferences(b, iref).find((r) => r.kind === kind && r.from === from)?.to ?? [];

/** The first item that item `from` references with `kind` (a grid's first tile by `dimg`). */
const firstReference = (b: Uint8Array, iref: Box | undefined, kind: string, from: number) =>
  itemReferences(b, iref).find((r) => r.kind === kind && r.from === from && r.to.length > 0)?.to[0];

/** Whether any item refers to item `to` with `kind` (an alpha plane's `auxl`). */
const referencesTo = (b: Uint8Array, iref: Box | undefined, kind: string, to: number): boolean =>
  itemReferences(b, iref).some((r) => r.kind === kind && r.to.includes(to));

/**
 * av1C (AV1CodecConfigurationRecord): marker and version, seq_profile and level, then tier,
 * high_bitdepth, twelve_bit, monochrome, chroma_subsampling_x/y, sample position; then
 * initial_presentation_delay; the configOBUs fill the rest.
 */
function av1Config(b: Uint8Array, av1C: Box): Av1Config {
  const flags = b[av1C.start + 2];
  const highBitDepth = (flags & 0x40) !== 0;
  return {
    bitDepth: highBitDepth ? ((flags & 0x20) !== 0 ? 12 : 10) : 8,
    monochrome: (flags & 0x10) !== 0,
    subsamplingX: (flags & 0x08) !== 0,
    subsamplingY: (flags & 0x04) !== 0,
    configObus: b.subarray(av1C.start + 4, av1C.end),
  };
}

/**
 * The primary item's coded bytes (for AVIF, the OBUs of its one key frame), from iloc: its
 * extents in the file (construction_method 0) or in the meta box's idat (1), concatenated.
 * Throws InputError (unreadable_image) where iloc does not place them inside the file, and
 * for item-offset construction (2), which still images do not use.
 */
export function readPrimaryItemData(b: Uint8Array, type: HeifType): Uint8Array {
  const inMeta = metaBoxes(b, type);
  return itemData(b, type, inMeta, primaryItem(b, inMeta, type));
}

/** The boxes inside meta (a FullBox). */
function metaBoxes(b: Uint8Array, type: HeifType): Box[] {
  const meta = child(boxes(b, 0, b.length), "meta");
  if (!meta) throw unreadable(type, "no meta box (an image sequence without a still image?)");
  return boxes(b, meta.start + 4, meta.end); // meta is a FullBox
}

/**
 * The item properties (iprp: ipco's boxes, which every ipma box may assign to an item by
 * 1-based index) as a lookup by item ID; undefined without iprp or ipco.
 */
function itemProperties(b: Uint8Array, inMeta: Box[]): ((id: number) => Box[]) | undefined {
  const iprp = child(inMeta, "iprp");
  const inIprp = iprp ? boxes(b, iprp.start, iprp.end) : [];
  const ipco = child(inIprp, "ipco");
  if (!ipco) return undefined;
  const properties = boxes(b, ipco.start, ipco.end);
  return (id) =>
    inIprp
      .filter((box) => box.type === "ipma")
      .flatMap((ipma) => associations(b, ipma, id))
      .map((index) => properties[index - 1])
      .filter((property): property is Box => property !== undefined);
}

/** Item `primary`'s data (readPrimaryItemData says how). */
function itemData(b: Uint8Array, type: HeifType, inMeta: Box[], primary: number): Uint8Array {
  const iloc = child(inMeta, "iloc");
  if (!iloc || iloc.start + 8 > iloc.end) throw unreadable(type, "no item locations (iloc)");
  const idat = child(inMeta, "idat");
  const version = b[iloc.start];
  const offsetSize = b[iloc.start + 4] >> 4;
  const lengthSize = b[iloc.start + 4] & 15;
  const baseOffsetSize = b[iloc.start + 5] >> 4;
  const indexSize = version === 1 || version === 2 ? b[iloc.start + 5] & 15 : 0;
  let i = iloc.start + 6;
  const end = iloc.end;
  // A field of 0, 4 or 8 bytes; an 8-byte one must fit in 32 bits (nothing we accept is larger).
  const field = (size: number): number => {
    if (i + size > end) throw unreadable(type, "iloc is cut short");
    let value = 0;
    if (size === 8) {
      if (be32(b, i) !== 0) throw unreadable(type, "an item beyond 4 GiB");
      value = be32(b, i + 4);
    } else if (size === 4) value = be32(b, i);
    else if (size !== 0) throw unreadable(type, `iloc field of ${size} bytes`);
    i += size;
    return value;
  };
  const itemCount = version < 2 ? (i + 2 <= end ? be16(b, i) : 0) : field(4);
  if (version < 2) i += 2;
  for (let item = 0; item < itemCount; item++) {
    let id: number;
    if (version < 2) {
      if (i + 2 > end) break;
      id = be16(b, i);
      i += 2;
    } else id = field(4);
    const method = version === 1 || version === 2 ? (i + 2 <= end ? b[i + 1] & 15 : 0) : 0;
    if (version === 1 || version === 2) i += 2;
    i += 2; // data_reference_index: 0, this file
    const base = field(baseOffsetSize);
    if (i + 2 > end) break;
    const extentCount = be16(b, i);
    i += 2;
    const extents: [number, number][] = [];
    for (let e = 0; e < extentCount; e++) {
      field(indexSize);
      const offset = field(offsetSize);
      extents.push([base + offset, field(lengthSize)]);
    }
    if (id !== primary) continue;
    if (method > 1)
      throw unreadable(type, `the primary item's data is placed by construction method ${method}`);
    const [from, to] = method === 1 ? (idat ? [idat.start, idat.end] : [0, 0]) : [0, b.length];
    const parts = extents.map(([offset, length]) => {
      const start = from + offset;
      // A length of 0 means the rest of the file (or idat).
      const stop = length === 0 ? to : start + length;
      if (start < from || stop > to || stop <= start)
        throw unreadable(type, `item ${id}'s data lies outside the file`);
      return b.subarray(start, stop);
    });
    if (parts.length === 0) throw unreadable(type, `item ${id} has no data`);
    return parts.length === 1 ? parts[0] : concat(parts);
  }
  throw unreadable(type, `item ${primary} has no location (iloc)`);
}

/** An AVIF grid (the primary item is a `grid` of av01 tiles), as its ImageGrid and iref say. */
export interface AvifGrid {
  columns: number;
  rows: number;
  /** the grid's output size, which crops the last column and row */
  width: number;
  height: number;
  /** row by row; each tile's AV1 data and av1C (undefined where it has none) */
  tiles: { data: Uint8Array; av1?: Av1Config }[];
}

/**
 * The tiles of an AVIF whose primary item is a `grid`: the ImageGrid (the grid item's data:
 * version, flags, rows - 1, columns - 1, output width and height in 16 or 32 bits) and its
 * tiles in iref `dimg` order (row by row), each with its data (iloc) and av1C. Throws
 * InputError (unreadable_image) where the grid, its references or a tile's data are malformed.
 */
export function readAvifGrid(b: Uint8Array): AvifGrid {
  const type = "image/avif";
  const inMeta = metaBoxes(b, type);
  const primary = primaryItem(b, inMeta, type);
  const grid = itemData(b, type, inMeta, primary);
  const wide = grid.length >= 4 && (grid[1] & 1) === 1;
  if (grid.length < (wide ? 12 : 8) || grid[0] !== 0) throw unreadable(type, "a malformed ImageGrid");
  const rows = grid[2] + 1;
  const columns = grid[3] + 1;
  const width = wide ? be32(grid, 4) : be16(grid, 4);
  const height = wide ? be32(grid, 8) : be16(grid, 6);
  const ids = allReferences(b, child(inMeta, "iref"), "dimg", primary);
  if (ids.length !== rows * columns) {
    throw unreadable(type, `a ${columns}x${rows} grid with ${ids.length} tiles`);
  }
  const propertiesOf = itemProperties(b, inMeta) ?? (() => []);
  const tiles = ids.map((id) => {
    const av1C = propertiesOf(id).find((p) => p.type === "av1C" && p.start + 4 <= p.end);
    return { data: itemData(b, type, inMeta, id), av1: av1C ? av1Config(b, av1C) : undefined };
  });
  return { columns, rows, width, height, tiles };
}

/** The item type (infe version 2 or 3) of item `id`, or "" if the list does not say. */
function primaryItemType(b: Uint8Array, iinf: Box | undefined, id: number): string {
  if (!iinf) return "";
  const countBytes = b[iinf.start] === 0 ? 2 : 4;
  for (const infe of boxes(b, iinf.start + 4 + countBytes, iinf.end)) {
    if (infe.type !== "infe") continue;
    const version = b[infe.start];
    if (version < 2) continue;
    const idBytes = version === 2 ? 2 : 4;
    const itemId = idBytes === 2 ? be16(b, infe.start + 4) : be32(b, infe.start + 4);
    if (itemId === id && infe.start + 4 + idBytes + 6 <= infe.end)
      return ascii(b, infe.start + 4 + idBytes + 2, 4);
  }
  return "";
}

/** The ipco indices ipma associates with item `id`, in the order listed. */
function associations(b: Uint8Array, ipma: Box, id: number): number[] {
  const version = b[ipma.start];
  const wideIndex = (b[ipma.start + 3] & 1) === 1;
  let i = ipma.start + 4;
  const count = be32(b, i);
  i += 4;
  for (let e = 0; e < count && i < ipma.end; e++) {
    const itemId = version < 1 ? be16(b, i) : be32(b, i);
    i += version < 1 ? 2 : 4;
    const n = b[i++];
    const indices: number[] = [];
    for (let k = 0; k < n && i < ipma.end; k++) {
      indices.push(wideIndex ? be16(b, i) & 0x7fff : b[i] & 0x7f);
      i += wideIndex ? 2 : 1;
    }
    if (itemId === id) return indices;
  }
  return [];
}
