/**
 * Input limits shared by every tier (the Worker checks them before reading the body).
 *
 * Previews run in a Worker isolate, which may hold 128 MB in all: JS heap, ArrayBuffers and
 * every WebAssembly memory. Idle it holds about 30 MB (onnxruntime's heap with the model 20,
 * JS heap 8, buffers 2); a preview adds the body and what the decoder needs, then drops the
 * full-size pixels once they are resized to the network's 320x240. `maxDecodeBytes` keeps
 * that under 80 MB, so a preview peaks at most at about 112 MB (`npm run bench -- preview`
 * measures it): what each coding needs per pixel is in image-info.ts (DECODER_BYTES_PER_PIXEL).
 */
export const PREVIEW_LIMITS = {
  maxBytes: 10 * 1024 * 1024,
  // 8 MP: a baseline (camera) JPEG decodes within the memory limit up to this size; 3000x2000
  // (6 MP) in any common coding (progressive 4:2:0 JPEG, PNG, lossy WebP).
  maxPixels: 8_000_000,
  maxSide: 8192,
  maxDecodeBytes: 80_000_000,
  advice: "downscale it, or use POST /v1/jobs for full-size images",
  /**
   * A baseline or progressive YCbCr/grey JPEG whose 1/8 scale still covers the network's input
   * is decoded from its DC coefficients alone (jpeg-dc.ts): a few MB whatever the photo, so
   * phone photos up to 64 MP are served (a 48 MP 8064x6048 peaks at well under 128 MB, `npm run
   * bench -- preview`). The mask at that size is deflated a block of rows at a time. A grid
   * HEIC (iPhone's 512x512 tiles) is decoded a tile at a time and reduced (codecs.ts
   * decodeHeicGridReduced), in libheif's initial 17 MB heap plus the file, so it has the same
   * limits; any other HEIC is decoded whole to YCbCr and its memory estimate stops it at about
   * 15 MP (`maxDecodeBytes`). An 8-bit 4:2:0 AVIF is decoded to YUV by dav1d and reduced from
   * its heap (codecs.ts decodeAvifReduced): 2.3 bytes per pixel, about 32 MP; an AVIF grid a
   * tile at a time (decodeAvifGridReduced), in dav1d's initial heap, so up to these limits.
   */
  scaled: { maxPixels: 64_000_000, maxSide: 16384 },
} as const;

export const FULL_LIMITS = {
  maxBytes: 40 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxSide: 16384,
} as const;

/** Full-resolution jobs at the edge: the body is stored, not decoded, so it may be larger. */
export const JOB_LIMITS = {
  maxBytes: 25 * 1024 * 1024,
  maxPixels: FULL_LIMITS.maxPixels,
  maxSide: FULL_LIMITS.maxSide,
} as const;
