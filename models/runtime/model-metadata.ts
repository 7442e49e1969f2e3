/**
 * Every shipped model carries what it needs to be run correctly inside the ONNX file
 * (`metadata_props["fcn"]`, JSON): classes and colours, normalisation, and the resolution
 * it is meant to run at. onnxruntime's JS API does not expose custom metadata, so we read
 * the two protobuf fields we need ourselves.
 */

import type { BilinearDeconv } from "./upsample.ts";

export interface ClassInfo {
  name: string;
  color: [number, number, number];
}

export interface ModelMetadata {
  id: string;
  /** "fcn32s" | "fcn16s" | "fcn8s" */
  variant: string;
  backbone: string;
  /** Output stride of the coarsest score map (32 for all FCNs); shift-and-stitch needs it. */
  outputStride: number;
  classes: ClassInfo[];
  mean: [number, number, number];
  std: [number, number, number];
  /**
   * Size the input is resized to before inference, or null to run at the input's own size
   * (FCNs take any size).
   */
  resolution: { width: number; height: number } | null;
  /**
   * For a model without a fixed `resolution`: the pixel count of the frames it was trained on
   * (CamVid's 480x360). Larger images run resized down to about this many pixels, aspect kept,
   * because the net never saw objects as large as a 12 MP photo shows them; the scores are then
   * brought back to the image's size by bilinear interpolation before the argmax. Smaller
   * images run at their own size. Absent: every image runs at its own size.
   */
  referencePixels?: number;
  /**
   * For a model without a fixed `resolution`: how much larger than that size it runs (default
   * 1). A net trained with wide scale jitter (0.5-2.0) is robust to enlarged scenes and reads
   * thin structures better at 1.5x; one trained near 1x (0.6-1.5) loses there. Chosen on the
   * held-out drive with `npx fcn eval --input-scale`, written by `fcn.export --input-scale`.
   */
  inputScale?: number;
  /** How the weights are stored: `fp16` halves the file, the arithmetic stays fp32. */
  quantization: "fp32" | "fp16" | "int8";
  /** In an int8 model, how many leading backbone convolutions stay float. */
  floatConvs?: number;
  /**
   * The model's second output "coarse" (scores before the last upsampling), for
   * shift-and-stitch: its stride and the whole-pixel offset of its cell centres.
   */
  coarse?: { stride: number; offset: number };
  /**
   * Present when the graph stops at "coarse" and leaves the last layer, the fixed bilinear
   * deconvolution and its crop, to the runtime (`upsample.ts`).
   */
  upsample?: BilinearDeconv;
  /** CamVid split the net trained on: "train", or "train+val" (absent in older exports: "train"). */
  trainedOn?: string;
  /**
   * CamVid val metrics at export. For a model trained on "train+val" (val taught it), those of
   * the same recipe's held-out-drive run.
   */
  val?: Record<string, number>;
  /**
   * Metrics on a drive left out of training (the proxy for new streets): this model's own, or
   * for a "train+val" model those of the same recipe trained without `drive`.
   */
  heldOutDrive?: { drive: string } & Record<string, number | string>;
}

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length) throw new Error("truncated protobuf varint");
    const byte = b[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [result, pos];
    shift += 7;
  }
}

/** Key/value pairs of ModelProto.metadata_props (field 14), skipping the graph unread. */
export function readOnnxMetadataProps(bytes: Uint8Array): Record<string, string> {
  const props: Record<string, string> = {};
  const text = new TextDecoder();
  let pos = 0;
  while (pos < bytes.length) {
    let key: number;
    [key, pos] = readVarint(bytes, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) [, pos] = readVarint(bytes, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let length: number;
      [length, pos] = readVarint(bytes, pos);
      if (field === 14) {
        const entry = bytes.subarray(pos, pos + length);
        let p = 0;
        let k = "";
        let v = "";
        while (p < entry.length) {
          let tag: number;
          let n: number;
          [tag, p] = readVarint(entry, p);
          [n, p] = readVarint(entry, p);
          const s = text.decode(entry.subarray(p, p + n));
          if (tag >> 3 === 1) k = s;
          else if (tag >> 3 === 2) v = s;
          p += n;
        }
        props[k] = v;
      }
      pos += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return props;
}

/** Parse and check the `fcn` metadata of a model file. */
export function readModelMetadata(bytes: Uint8Array): ModelMetadata {
  const raw = readOnnxMetadataProps(bytes).fcn;
  if (!raw) throw new Error("this ONNX file has no `fcn` metadata; export it with models/fcn/export.py");
  const meta = JSON.parse(raw) as ModelMetadata;
  if (
    !Array.isArray(meta.classes) ||
    meta.classes.length === 0 ||
    meta.mean?.length !== 3 ||
    meta.std?.length !== 3
  ) {
    throw new Error("the model's `fcn` metadata is incomplete");
  }
  return meta;
}
