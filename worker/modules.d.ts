// Module kinds that wrangler's bundler provides (see wrangler.toml [[rules]]).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
declare module "*.onnx" {
  const bytes: ArrayBuffer;
  export default bytes;
}
// Vite's `?raw` imports, in the workerd tests only: a file's text (e.g. wrangler.toml's settings).
declare module "*?raw" {
  const text: string;
  export default text;
}
