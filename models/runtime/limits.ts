/** Input limits shared by every tier (the Worker checks them before reading the body). */
export const PREVIEW_LIMITS = {
  maxBytes: 10 * 1024 * 1024,
  // 12 MP (a phone photo) decodes to 48 MB of RGBA: the most a 128 MB Worker can afford.
  maxPixels: 12_000_000,
  maxSide: 8192,
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
