/**
 * Shift-and-stitch (OverFeat's "input shifting and output interlacing", FCN paper sec. 3.2):
 * a net with output stride f is run on the f*f inputs shifted by (dy, dx) in 0..f-1, and
 * the coarse outputs are interlaced so output pixel (f*u + dy, f*v + dx) takes the coarse
 * value (u, v) of shift (dy, dx). The result is full resolution with no interpolation.
 *
 * Shapes: input (Cin, H, W) planar float; the net maps (n, Cin, H, W) to (n, Cout, h, w) with
 * h >= ceil(H/f), w >= ceil(W/f); the output is (Cout, H, W).
 */

export interface Planar {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/** Runs the coarse net on a batch of `n` planar inputs, returning (n, Cout, h, w). */
export type CoarseNet = (
  batch: Float32Array,
  n: number,
  channels: number,
  height: number,
  width: number,
) => Promise<{
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}>;

/**
 * Input shifted by (dy - offset, dx - offset): out(y, x) = in(y + dy - offset, x + dx - offset),
 * zero outside. `offset` recentres the coarse cells (round of the net's coordinate offset).
 */
export function shiftInput(
  input: Planar,
  dy: number,
  dx: number,
  offset = 0,
  out?: Float32Array,
): Float32Array {
  const { channels, height: H, width: W, data } = input;
  const shifted = out ?? new Float32Array(channels * H * W);
  shifted.fill(0);
  const sy = dy - offset;
  const sx = dx - offset;
  for (let c = 0; c < channels; c++) {
    const base = c * H * W;
    for (let y = Math.max(0, -sy); y < Math.min(H, H - sy); y++) {
      const src = base + (y + sy) * W;
      const dst = base + y * W;
      const x0 = Math.max(0, -sx);
      const x1 = Math.min(W, W - sx);
      shifted.set(data.subarray(src + x0 + sx, src + x1 + sx), dst + x0);
    }
  }
  return shifted;
}

/**
 * Called before each network run of a multi-run inference with how many of `total` runs
 * (shifts, tiles) are done: a job reports its progress from it, and throws to stop (its
 * deadline passed).
 */
export type Checkpoint = (done: number, total: number) => void;

export async function shiftAndStitch(
  net: CoarseNet,
  input: Planar,
  stride: number,
  options: { offset?: number; batch?: number; checkpoint?: Checkpoint } = {},
): Promise<Planar> {
  const { channels, height: H, width: W } = input;
  const offset = options.offset ?? 0;
  const batch = Math.max(1, options.batch ?? 1);
  const shifts: [number, number][] = [];
  for (let dy = 0; dy < stride; dy++) for (let dx = 0; dx < stride; dx++) shifts.push([dy, dx]);
  let out: Planar | undefined;
  const plane = channels * H * W;
  for (let start = 0; start < shifts.length; start += batch) {
    options.checkpoint?.(start, shifts.length);
    const group = shifts.slice(start, start + batch);
    const inputs = new Float32Array(group.length * plane);
    for (const [k, [dy, dx]] of group.entries()) {
      shiftInput(input, dy, dx, offset, inputs.subarray(k * plane, (k + 1) * plane));
    }
    const coarse = await net(inputs, group.length, channels, H, W);
    if (coarse.height * stride < H || coarse.width * stride < W) {
      throw new Error(
        `coarse output ${coarse.height}x${coarse.width} does not cover ${H}x${W} at stride ${stride}`,
      );
    }
    out ??= {
      data: new Float32Array(coarse.channels * H * W),
      channels: coarse.channels,
      height: H,
      width: W,
    };
    const cPlane = coarse.height * coarse.width;
    group.forEach(([dy, dx], k) => {
      for (let c = 0; c < coarse.channels; c++) {
        const src = (k * coarse.channels + c) * cPlane;
        const dst = c * H * W;
        for (let u = 0, y = dy; y < H; u++, y += stride) {
          for (let v = 0, x = dx; x < W; v++, x += stride) {
            out!.data[dst + y * W + x] = coarse.data[src + u * coarse.width + v];
          }
        }
      }
    });
  }
  return out!;
}
