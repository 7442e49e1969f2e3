import { exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { readPalettePngStrict } from "../../test/fixtures/strict-png.ts";

const fromBase64 = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
const images = inject("images");
const samples = inject("samples");
const camvidVal = inject("camvidVal");
const camvidSkip = inject("camvidSkip");
if (camvidSkip) console.warn(camvidSkip);

const post = (body: BodyInit | null, type: string | null, query = "") =>
  exports.default.fetch(
    new Request(`http://edge.test/v1/preview${query}`, {
      method: "POST",
      body,
      headers: type ? { "content-type": type } : {},
    }),
  );

async function expectMask(response: Response, width: number, height: number) {
  // Read the body as text only for the failure message: a PNG read as text makes workerd warn.
  expect(response.status, response.status === 200 ? "" : await response.text()).toBe(200);
  expect(response.headers.get("content-type")).toBe("image/png");
  expect(response.headers.get("server-timing")).toMatch(/decode;dur=.*inference;dur=.*encode;dur=/);
  const mask = readPalettePngStrict(new Uint8Array(await response.arrayBuffer()));
  expect([mask.width, mask.height]).toEqual([width, height]);
  expect(mask.labels.every((v) => v < 11)).toBe(true);
  expect(mask.palette.length).toBe(11);
  return mask;
}

// One file for all inference tests: each test file pays the wasm start-up once.
describe("POST /v1/preview", () => {
  it("matches `npx fcn predict` on CamVid val images, pixel for pixel", async () => {
    const differing = (a: Uint8Array, b: Uint8Array) => a.reduce((n, v, i) => n + (v === b[i] ? 0 : 1), 0);
    for (const sample of samples) {
      const response = await post(fromBase64(sample.image), "image/jpeg");
      const mask = await expectMask(response, 480, 360);
      // Same engine (onnxruntime-web wasm), same code path: identical.
      expect(differing(mask.labels, readPalettePngStrict(fromBase64(sample.mask)).labels), sample.name).toBe(
        0,
      );
      // Native CPU kernels round the float layers differently: a few near-tie pixels may flip.
      const native = differing(mask.labels, readPalettePngStrict(fromBase64(sample.nativeMask)).labels);
      expect(native / mask.labels.length, sample.name).toBeLessThan(1e-3);
    }
  });

  it.skipIf(camvidSkip !== "")(
    "writes every CamVid val image's mask as a PNG a strict zlib reads (node:zlib, every CRC)",
    async () => {
      expect(camvidVal.length, inject("camvidMissing")).toBe(101);
      for (const { name, type, image } of camvidVal) {
        const response = await post(fromBase64(image), type);
        expect(response.status, name).toBe(200);
        const mask = readPalettePngStrict(new Uint8Array(await response.arrayBuffer()));
        expect([mask.width, mask.height], name).toEqual([480, 360]);
      }
    },
    300_000,
  );

  it("answers JSON with sizes, class fractions and timings", async () => {
    const response = await post(fromBase64(samples[0].image), "image/jpeg", "?format=json");
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      width: number;
      height: number;
      model: string;
      classes: { fraction: number }[];
      timings_ms: Record<string, number>;
    };
    expect([body.width, body.height]).toEqual([480, 360]);
    expect(body.classes).toHaveLength(11);
    expect(body.classes.reduce((a, c) => a + c.fraction, 0)).toBeCloseTo(1, 5);
    expect(Object.keys(body.timings_ms)).toEqual(
      expect.arrayContaining(["decode", "resize", "inference", "encode"]),
    );
  });

  it("handles odd sizes and formats at their exact size", async () => {
    await expectMask(await post(fromBase64(images.jpeg37x211), "image/jpeg"), 37, 211);
    await expectMask(await post(fromBase64(images.png1x1), "image/png"), 1, 1);
    await expectMask(await post(fromBase64(images.png64x48), "image/png"), 64, 48);
    await expectMask(await post(fromBase64(images.webp64x48), "image/webp"), 64, 48);
    await expectMask(await post(fromBase64(images.progressiveJpeg), "image/jpeg"), 80, 60);
    await expectMask(await post(fromBase64(images.jpeg3000x2000), "image/jpeg"), 3000, 2000);
  });

  it("decodes CMYK and YCCK JPEGs (Adobe) instead of refusing them", async () => {
    await expectMask(await post(fromBase64(images.cmykAdobe), "image/jpeg"), 96, 72);
    await expectMask(await post(fromBase64(images.ycckAdobe), "image/jpeg"), 96, 72);
  });

  it("honours EXIF orientation: a 48x32 JPEG tagged 'rotate 90' gives a 32x48 mask", async () => {
    await expectMask(await post(fromBase64(images.portraitExif6), "image/jpeg"), 32, 48);
  });

  it("decodes HEIC and AVIF, with the container's irot/imir: a 96x64 rotated a quarter turn gives 64x96", async () => {
    await expectMask(await post(fromBase64(images.heic), "image/heic"), 96, 64);
    await expectMask(await post(fromBase64(images.heicIrot1), "image/heif"), 64, 96);
    await expectMask(await post(fromBase64(images.avif), "image/avif"), 96, 64);
    const response = await post(fromBase64(images.avifIrot1Imir0), "image/avif", "?format=json");
    const body = (await response.json()) as { width: number; height: number; orientation: number };
    expect(body).toMatchObject({ width: 64, height: 96, orientation: 5 });
  });

  it("answers 415 for JPEG XL and animated AVIF, naming the supported types", async () => {
    const sequence = fromBase64(images.avif).slice();
    sequence.set(new TextEncoder().encode("avis"), 8); // an image sequence's major brand
    const jxl = new Uint8Array([0xff, 0x0a, 0xfa, 0x7f, 0x01, 0x90, 0x08, 0x06, 0x01, 0x00]);
    for (const [bytes, what] of [
      [sequence, /image sequence/],
      [jxl, /JPEG XL/],
    ] as const) {
      const response = await post(bytes, "image/avif");
      expect(response.status).toBe(415);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("unsupported_media_type");
      expect(error.message).toMatch(what);
      expect(error.message).toMatch(/JPEG, PNG, WebP, HEIC or AVIF/);
    }
  });

  it("refuses, before decoding, images over the pixel limit or whose decoder would not fit in memory", async () => {
    const refusal = async (image: string) => {
      const response = await post(fromBase64(image), "image/jpeg");
      expect(response.status).toBe(422);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("too_many_pixels");
      expect(error.message).toMatch(/downscale it, or use POST \/v1\/jobs/);
      return error.message;
    };
    // within the pixel limit, but a CMYK JPEG (decoded whole) would not fit
    expect(await refusal(images.cmyk3000x2000)).toMatch(
      /3000x2000, a CMYK JPEG \(Adobe\).* may have 1\.\d megapixels/,
    );
    expect(await refusal(images.png3266x2450)).toMatch(/the limit is 8000000 pixels/);
    // a JPEG decoded at 1/8 has its own limit
    expect(await refusal(images.jpeg9344x7008)).toMatch(/9344x7008; the limit is 64000000 pixels/);
  });

  it("previews phone photos: 12 MP (EXIF portrait) and 48 MP JPEGs, decoded at 1/8, masks at their displayed size", async () => {
    const portrait = await expectMask(await post(fromBase64(images.phone12mp), "image/jpeg"), 3024, 4032);
    expect(new Set(portrait.labels).size).toBeGreaterThan(0);
    await expectMask(await post(fromBase64(images.phone48mp), "image/jpeg"), 8064, 6048);
  });

  it("previews a 12 MP portrait HEIC (irot), decoded reduced: a mask at its displayed 3024x4032", async () => {
    await expectMask(await post(fromBase64(images.heicPhone12), "image/heic"), 3024, 4032);
  });

  it("previews 12 MP AVIFs (8-bit 4:2:0), decoded reduced by dav1d: masks at their displayed size", async () => {
    await expectMask(await post(fromBase64(images.avifPhone12), "image/avif"), 4032, 3024);
    await expectMask(await post(fromBase64(images.avifPhone12Irot3), "image/avif"), 3024, 4032);
  });

  it("previews 24 and 48 MP grid AVIFs, decoded a tile at a time: masks at their displayed size", async () => {
    await expectMask(await post(fromBase64(images.avifGrid24), "image/avif"), 6144, 4096);
    await expectMask(await post(fromBase64(images.avifGrid48Irot3), "image/avif"), 6144, 8192);
  });

  it("previews 24 and 48 MP grid HEICs (iPhone's tiles), decoded a tile at a time: masks at their displayed size", async () => {
    await expectMask(await post(fromBase64(images.heicGrid24), "image/heic"), 6048, 4032);
    await expectMask(await post(fromBase64(images.heicGrid48), "image/heif"), 8064, 6048);
    // irot on a grid: the reduced tiles are rotated as EXIF orientation 6 is
    await expectMask(await post(fromBase64(images.heicGridIrot3), "image/heic"), 800, 1200);
  });

  it("answers 400 unreadable_image 'truncated' for a JPEG cut at 2,000, 20,000 or 60,000 bytes", async () => {
    const whole = fromBase64(samples[0].image);
    for (const at of [2_000, 20_000, 60_000]) {
      const response = await post(whole.slice(0, at), "image/jpeg");
      expect(response.status, `cut at ${at}`).toBe(400);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("unreadable_image");
      expect(error.message).toMatch(/truncated/);
    }
  });

  it("accepts multipart/form-data with an `image` field", async () => {
    const form = new FormData();
    form.append("image", new Blob([fromBase64(images.png64x48)], { type: "image/png" }), "x.png");
    const response = await exports.default.fetch(
      new Request("http://edge.test/v1/preview", { method: "POST", body: form }),
    );
    await expectMask(response, 64, 48);
  });

  const bad: [string, () => Promise<Response>, number, string][] = [
    ["empty body", () => post(new Uint8Array(), "image/jpeg"), 400, "empty_body"],
    ["text/plain", () => post("hello", "text/plain"), 415, "unsupported_media_type"],
    ["no content type", () => post(fromBase64(images.png64x48), null), 415, "unsupported_media_type"],
    [
      "wrong magic bytes",
      () => post(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/png"),
      415,
      "unsupported_media_type",
    ],
    [
      "truncated JPEG",
      () => post(fromBase64(images.jpeg37x211).slice(0, 200), "image/jpeg"),
      400,
      "unreadable_image",
    ],
    [
      "truncated PNG",
      () => post(fromBase64(images.png64x48).slice(0, 60), "image/png"),
      400,
      "unreadable_image",
    ],
    [
      "body over the limit",
      () => post(new Uint8Array(11 * 1024 * 1024), "image/jpeg"),
      413,
      "payload_too_large",
    ],
    [
      "bad format query",
      () => post(fromBase64(images.png64x48), "image/png", "?format=gif"),
      400,
      "invalid_request",
    ],
    [
      "multipart without image",
      () => {
        const form = new FormData();
        form.append("other", "x");
        return exports.default.fetch(
          new Request("http://edge.test/v1/preview", { method: "POST", body: form }),
        );
      },
      400,
      "invalid_request",
    ],
    [
      "malformed multipart",
      () => post("--x\r\nnot a part", "multipart/form-data; boundary=x"),
      400,
      "invalid_request",
    ],
    [
      "decompression bomb header",
      () => {
        // A PNG header claiming 100000 x 100000 pixels: refused before any decoding.
        const b = fromBase64(images.png64x48).slice();
        new DataView(b.buffer).setUint32(16, 100000);
        new DataView(b.buffer).setUint32(20, 100000);
        return post(b, "image/png");
      },
      422,
      "too_many_pixels",
    ],
  ];
  for (const [name, send, status, code] of bad) {
    it(`answers ${status} ${code} for ${name}, then still serves`, async () => {
      const response = await send();
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual({ error: { code, message: expect.any(String) } });
      await expectMask(await post(fromBase64(images.png64x48), "image/png"), 64, 48);
    });
  }
});
