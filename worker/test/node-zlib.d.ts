// workerd implements these under nodejs_compat; the Worker's types leave @types/node out so
// that Worker code cannot lean on Node globals. Only tests use them (test/fixtures/strict-png.ts).
declare module "node:zlib" {
  export function inflateSync(data: Uint8Array, options?: { info?: boolean }): Uint8Array;
  export function crc32(data: Uint8Array, value?: number): number;
}
