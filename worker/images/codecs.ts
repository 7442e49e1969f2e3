/** The decoders (codecs.ts), imported as compiled modules so workerd never compiles bytes. */
import avif from "@jsquash/avif/codec/dec/avif_dec.wasm";
import jpeg from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm";
// @ts-expect-error the package types this file as instantiated exports; wrangler imports the compiled Module
import png from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm";
import webp from "@jsquash/webp/codec/dec/webp_dec.wasm";
import heic from "libheif-js/libheif-wasm/libheif.wasm";
import av1 from "ogv/dist/ogv-decoder-video-av1-wasm.wasm";
import { initCodecs } from "../../models/runtime/decode.ts";

/** Hands the modules over; each image instantiates its decoder on its own (codecs.ts). */
export const ensureCodecs = () => initCodecs({ jpeg, png, webp, heic, avif, av1 });
