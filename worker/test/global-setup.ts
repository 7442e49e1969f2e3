/**
 * Runs in Node before the workerd tests: prepares inputs the Worker cannot make itself
 * (encoded test images) and the reference masks from `npx fcn predict` with the same model.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { startFauxqs } from "fauxqs";
import type { TestProject } from "vitest/node";
import { camvidMissing } from "../../cli/data/location.ts";
import { camvidSkipReason, camvidValImages, frameType } from "../../test/fixtures/camvid.ts";
import { withPngSize } from "../../test/fixtures/corpus.ts";
import { withJpegSize } from "../../test/fixtures/craft.ts";
import {
  encodeImage,
  jpeg,
  noisyPattern,
  png,
  toBase64,
  webp,
  withExifOrientation,
} from "../../test/fixtures/images.ts";

const HEIF_FIXTURES = "models/runtime/fixtures/heif";

export const SAMPLES_DIR = "worker/demo/public/samples";
export const EDGE_MODEL = "models/fcn32s-edge-int8.onnx";

export default async function setup(project: TestProject) {
  // The SQS the Worker sends jobs to in tests (a real SQS-protocol emulator, loopback only).
  const sqs = await startFauxqs({
    port: Number(process.env.FCN_TEST_SQS_PORT ?? 9335),
    host: "127.0.0.1",
    logger: false,
  });
  sqs.createQueue("fcn-jobs-test");
  const images = await startImageServer();
  project.provide("imageServer", images.origin);
  // References from both engines: the Worker's own (onnxruntime-web wasm) and native CPU.
  const out = mkdtempSync(join(tmpdir(), "fcn-ref-"));
  try {
    for (const provider of ["wasm", "cpu"]) {
      execFileSync(
        process.execPath,
        [
          "cli/fcn.js",
          "predict",
          "--model",
          EDGE_MODEL,
          "--provider",
          provider,
          "--out",
          join(out, provider),
        ].concat(SAMPLES_DIR),
        { stdio: ["ignore", "ignore", "inherit"] },
      );
    }
    const mask = (provider: string, name: string) =>
      toBase64(readFileSync(join(out, provider, name.replace(/\.jpg$/, ".png"))));
    const samples = readdirSync(SAMPLES_DIR)
      .filter((n) => n.endsWith(".jpg"))
      .sort()
      .map((name) => ({
        name,
        image: toBase64(readFileSync(join(SAMPLES_DIR, name))),
        mask: mask("wasm", name),
        nativeMask: mask("cpu", name),
      }));
    project.provide("samples", samples);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  // Every CamVid val image, for the strict check of every preview mask (none without the dataset).
  project.provide(
    "camvidVal",
    camvidValImages().map((path) => ({
      name: basename(path),
      type: frameType(path),
      image: toBase64(readFileSync(path)),
    })),
  );
  // workerd sees neither the file system nor CI: the skip is decided here.
  project.provide("camvidSkip", camvidSkipReason("the CamVid val previews") ?? "");
  project.provide("camvidMissing", camvidMissing());
  const portrait = withExifOrientation(await jpeg(48, 32), 6);
  project.provide("images", {
    jpeg37x211: toBase64(await jpeg(37, 211)),
    jpeg3000x2000: toBase64(await jpeg(3000, 2000, { quality: 60 })),
    portraitExif6: toBase64(portrait),
    png1x1: toBase64(await png(1, 1)),
    png64x48: toBase64(await png(64, 48)),
    webp64x48: toBase64(await webp(64, 48)),
    progressiveJpeg: toBase64(await jpeg(80, 60, { progressive: true })),
    // headers only (the scan data is an 80x60 image's): refused before decoding
    progressiveJpeg4000x2000: toBase64(withJpegSize(await jpeg(80, 60, { progressive: true }), 4000, 2000)),
    // CMYK and YCCK JPEGs written by libjpeg (test/fixtures/cmyk/generate.py), 96x72
    cmykAdobe: toBase64(readFileSync("test/fixtures/cmyk/cmyk-adobe.jpg")),
    ycckAdobe: toBase64(readFileSync("test/fixtures/cmyk/ycck-adobe.jpg")),
    jpeg3266x2450: toBase64(withJpegSize(await jpeg(80, 60, { progressive: true }), 3266, 2450)),
    // headers only, each a size past a limit: 8.0 MP PNG, a 3000x2000 CMYK JPEG (decoded whole,
    // 42 bytes per pixel), a 65 MP JPEG (past the limit of a JPEG decoded at 1/8)
    png3266x2450: toBase64(withPngSize(await png(64, 48), 3266, 2450)),
    cmyk3000x2000: toBase64(withJpegSize(readFileSync("test/fixtures/cmyk/cmyk-adobe.jpg"), 3000, 2000)),
    jpeg9344x7008: toBase64(withJpegSize(await jpeg(80, 60), 9344, 7008)),
    // phone photos: 12 MP (4032x3024) and 48 MP (8064x6048) baseline JPEGs, noisy like a photo,
    // the 12 MP one shown upright from EXIF orientation 6 (a portrait shot)
    phone12mp: toBase64(
      withExifOrientation(
        await encodeImage("jpeg", noisyPattern(4032, 3024, 12), {
          quality: 85,
          progressive: false,
          baseline: true,
        }),
        6,
      ),
    ),
    phone48mp: toBase64(
      await encodeImage("jpeg", noisyPattern(8064, 6048, 12), {
        quality: 80,
        progressive: false,
        baseline: true,
      }),
    ),
    // HEIC and AVIF, 96x64 (models/runtime/fixtures/heif/make.sh); "irot1": shown as 64x96
    heic: toBase64(readFileSync(`${HEIF_FIXTURES}/photo.heic`)),
    heicIrot1: toBase64(readFileSync(`${HEIF_FIXTURES}/photo-irot1.heic`)),
    avif: toBase64(readFileSync(`${HEIF_FIXTURES}/photo.avif`)),
    avifIrot1Imir0: toBase64(readFileSync(`${HEIF_FIXTURES}/photo-irot1-imir0.avif`)),
    // a 12 MP portrait phone HEIC (4032x3024 rotated by irot: shown 3024x4032)
    heicPhone12: toBase64(readFileSync(`${HEIF_FIXTURES}/phone12-irot3.heic`)),
    // grid HEICs as iPhones store them (512x512 tiles): 24 MP 6048x4032 and 48 MP 8064x6048, and
    // 1200x800 in 300x300 tiles rotated by irot 3 (shown 800x1200)
    heicGrid24: toBase64(readFileSync(`${HEIF_FIXTURES}/grid24.heic`)),
    heicGrid48: toBase64(readFileSync(`${HEIF_FIXTURES}/grid48.heic`)),
    heicGridIrot3: toBase64(readFileSync(`${HEIF_FIXTURES}/grid-irot3.heic`)),
    // 12 MP AVIFs as Android phones save them (8-bit 4:2:0), as coded and rotated by irot 3
    // (shown 3024x4032)
    avifPhone12: toBase64(readFileSync(`${HEIF_FIXTURES}/phone12.avif`)),
    avifPhone12Irot3: toBase64(readFileSync(`${HEIF_FIXTURES}/phone12-irot3.avif`)),
    // grid AVIFs (1024x1024 tiles): 24 MP 6144x4096, and 48 MP 8192x6144 rotated by irot 3
    avifGrid24: toBase64(readFileSync(`${HEIF_FIXTURES}/grid24.avif`)),
    avifGrid48Irot3: toBase64(readFileSync(`${HEIF_FIXTURES}/grid48-irot3.avif`)),
  });
  return async () => {
    await sqs.stop();
    await images.stop();
  };
}

/**
 * A real HTTP server on loopback that `image_url` tests fetch from (development's URL policy
 * accepts loopback): /png64x48 an image, /redirect?to=URL a 302, /status/N that status,
 * /declared-huge a Content-Length over the job limit, /endless-huge an unannounced body over it,
 * /hang no answer at all (until the connection is dropped), /slow-png?ms=N the image after N ms.
 * Requests with `?tag=T` are counted: /hits?tag=T answers `{ requests, maxInFlight }` for T
 * (how many arrived, and the most open at once), so tests can see what one call cost the server.
 */
async function startImageServer(): Promise<{ origin: string; stop: () => Promise<void> }> {
  const image = await png(64, 48);
  const hits = new Map<string, { requests: number; inFlight: number; maxInFlight: number }>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const tag = url.searchParams.get("tag");
    if (tag && url.pathname !== "/hits") {
      const h = hits.get(tag) ?? { requests: 0, inFlight: 0, maxInFlight: 0 };
      hits.set(tag, h);
      h.requests++;
      h.maxInFlight = Math.max(h.maxInFlight, ++h.inFlight);
      res.once("close", () => h.inFlight--);
    }
    if (url.pathname === "/hits") {
      const { requests = 0, maxInFlight = 0 } = hits.get(tag ?? "") ?? {};
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ requests, maxInFlight }));
    } else if (url.pathname === "/slow-png") {
      const timer = setTimeout(
        () => {
          res.writeHead(200, { "content-type": "image/png", "content-length": image.byteLength });
          res.end(image);
        },
        Number(url.searchParams.get("ms") ?? 1000),
      );
      res.once("close", () => clearTimeout(timer));
    } else if (url.pathname === "/png64x48") {
      res.writeHead(200, { "content-type": "image/png", "content-length": image.byteLength });
      res.end(image);
    } else if (url.pathname === "/redirect") {
      res.writeHead(302, { location: url.searchParams.get("to") ?? "/" });
      res.end();
    } else if (url.pathname.startsWith("/status/")) {
      res.writeHead(Number(url.pathname.slice(8)));
      res.end("nope");
    } else if (url.pathname === "/declared-huge") {
      res.writeHead(200, { "content-type": "image/png", "content-length": 26 * 1024 * 1024 });
      res.end(); // the edge refuses on the header and never reads the (short) body
    } else if (url.pathname === "/endless-huge") {
      res.writeHead(200, { "content-type": "image/png" });
      const chunk = Buffer.alloc(1024 * 1024, 7);
      let sent = 0;
      const more = () => {
        while (sent < 30 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      res.on("error", () => {});
      more();
    } else if (url.pathname === "/hang") {
      req.socket.setTimeout(30_000, () => req.socket.destroy());
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
