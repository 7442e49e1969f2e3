// ogv.js ships no types. Its AV1 decoder glue (emscripten, CommonJS) exports a factory that takes
// emscripten's module overrides and resolves to the module; codecs.ts types the members it uses.
declare module "ogv/dist/ogv-decoder-video-av1-wasm.js" {
  const factory: (overrides: object) => Promise<unknown>;
  export default factory;
}
