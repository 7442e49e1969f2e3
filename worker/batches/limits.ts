/** How much one batch may hold (POST /v1/batches). */
/** The most images one batch may hold. */
export const MAX_BATCH_ITEMS = 100;
/**
 * The most bytes of images one batch may bring (the multipart body, or the fetched images
 * together): the body is held whole and parsed into its parts, and both copies must fit the
 * Worker's 128 MB isolate. Larger sets go as several batches.
 */
export const MAX_BATCH_BYTES = 32 * 1024 * 1024;
/**
 * How long a batch whose submission was cut short (the Worker stopped between its items) waits
 * for the client's replay with the same Idempotency-Key to bring the rest. After that it
 * completes with the items that were accepted, so it never stays `running` for good.
 */
export const BATCH_REPLAY_WINDOW_MS = 60 * 60_000;
