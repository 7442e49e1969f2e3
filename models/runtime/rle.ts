/**
 * Per-class masks as COCO run-length encoding (RLE), in the compressed-string form that
 * pycocotools reads (`maskApi.c` rleToString): the mask is read column by column (Fortran
 * order), `counts` alternate runs of 0s and 1s starting with 0s, and each count after the
 * second is stored as the difference to the count two before it, in 5-bit groups (a 6th bit
 * says "more follows"), each group + 48 as one ASCII character.
 *
 *   labels  uint8 (H, W) class ids, row-major
 *   rle     { size: [H, W], classes: [{ id, name, counts }] }, one entry per class present
 */

/** The run lengths of the binary mask `labels == classId`, column-major, starting with 0s. */
export function classRuns(labels: Uint8Array, width: number, height: number, classId: number): number[] {
  if (labels.length !== width * height)
    throw new Error(`labels hold ${labels.length} pixels, not ${width}x${height}`);
  const counts: number[] = [];
  let current = 0; // the value whose run is being counted: runs start with 0s
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let i = x; i < labels.length; i += width) {
      const value = labels[i] === classId ? 1 : 0;
      if (value !== current) {
        counts.push(run);
        current = value;
        run = 0;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/** pycocotools' compressed string of run lengths (`rleToString`). */
export function compressCounts(counts: readonly number[]): string {
  let out = "";
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    for (let more = true; more; ) {
      let c = x & 0x1f;
      x >>= 5; // arithmetic shift: deltas may be negative
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

export interface RleFile {
  size: [number, number];
  classes: { id: number; name: string; counts: string }[];
}

/** The `rle` output: every class present in `labels`, as compressed COCO RLE. */
export function encodeRle(
  labels: Uint8Array,
  width: number,
  height: number,
  classNames: readonly string[],
): RleFile {
  const present = new Set(labels);
  const classes = [...present]
    .sort((a, b) => a - b)
    .map((id) => ({
      id,
      name: classNames[id] ?? `class ${id}`,
      counts: compressCounts(classRuns(labels, width, height, id)),
    }));
  return { size: [height, width], classes };
}
