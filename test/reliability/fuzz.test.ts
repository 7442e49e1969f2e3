/**
 * Property-based fuzzing (fast-check) of everything that reads client bytes before a model
 * sees them. These modules use Web APIs only, so they run here exactly as in the Worker.
 *   - header parsers: readImageInfo, checkLimits, readOrientation, on random bytes and on
 *     random bytes behind each format's magic: a value or InputError, nothing else
 *   - decodeImage on random mutations (bit flips, overwrites, insertions, deletions,
 *     truncations) of valid JPEG/PNG/WebP/HEIC/AVIF files (and grid HEICs, whose tiles are
 *     decoded through libheif's raw C API): a correctly sized image or InputError
 *   - request parsing: parseJobOptions on any string record, readImageUpload on random
 *     Content-Type / body / Content-Length combinations, and the webhook URL policy
 * Set FUZZ_SEED to replay a failure; FUZZ_RUNS scales every run count.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../../models/runtime/decode.ts";
import { InputError } from "../../models/runtime/errors.ts";
import { orientedSize, readOrientation } from "../../models/runtime/exif.ts";
import { checkLimits, IMAGE_TYPES, type ImageInfo, readImageInfo } from "../../models/runtime/image-info.ts";
import { PREVIEW_LIMITS } from "../../models/runtime/limits.ts";
import { initNodeCodecs } from "../../models/runtime/node.ts";
import { isPrivateIPv4, isPrivateIPv6 } from "../../worker/net/addresses.ts";
import { checkWebhookUrl, UnsafeWebhookUrl } from "../../worker/net/url-policy.ts";
import { multipart } from "../fixtures/craft.ts";
import { jpeg, png, webp, webpWith, withExifOrientation } from "../fixtures/images.ts";
import { chunk, encodePngVariant, exifTiff } from "../fixtures/png-writer.ts";
import { policyRefuses, REFUSED_IPV4, REFUSED_IPV6_GLOBAL_UNICAST } from "../fixtures/special-addresses.ts";
import { quietCodecChatter } from "./classify.ts";
import { parseJobOptions, readImageUpload } from "./worker-modules.ts";

const scale = Number(process.env.FUZZ_RUNS ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * scale));
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const params = (n: number) => ({ numRuns: runs(n), seed, endOnFailure: true });

/** Runs `f`; anything thrown must be an InputError. Returns the value or the error. */
function onlyInputErrors<T>(f: () => T): T | InputError {
  try {
    return f();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
}

async function onlyInputErrorsAsync<T>(f: () => Promise<T>): Promise<T | InputError> {
  try {
    return await f();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
}

const MAGIC = {
  jpeg: [0xff, 0xd8, 0xff],
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  webp: [...new TextEncoder().encode("RIFF"), 0, 0, 0, 0, ...new TextEncoder().encode("WEBP")],
  // an ftyp box of 24 bytes (major brand, version, two compatible brands), then anything
  heic: [0, 0, 0, 24, ...new TextEncoder().encode("ftypheic\0\0\0\0mif1heic")],
  avif: [0, 0, 0, 24, ...new TextEncoder().encode("ftypavif\0\0\0\0mif1miaf")],
};

/** Random bytes, or random bytes behind a format's magic (so the parsers get past sniffing). */
const headerBytes = fc.oneof(
  fc.uint8Array({ maxLength: 256 }),
  fc
    .tuple(fc.constantFrom(...Object.values(MAGIC)), fc.uint8Array({ maxLength: 256 }))
    .map(([magic, rest]) => Uint8Array.from([...magic, ...rest])),
  // JPEG segments with plausible markers: FF xx len len ...
  fc
    .array(
      fc
        .tuple(fc.integer({ min: 0xc0, max: 0xfe }), fc.uint8Array({ maxLength: 40 }))
        .map(([marker, body]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body]),
      { maxLength: 6 },
    )
    .map((segments) => Uint8Array.from([0xff, 0xd8, ...segments.flat()])),
);

describe("header parsers on random bytes", () => {
  it("readImageInfo returns a positive size of a known type or throws InputError", () => {
    fc.assert(
      fc.property(headerBytes, (bytes) => {
        const info = onlyInputErrors(() => readImageInfo(bytes));
        if (info instanceof InputError) {
          expect(["empty_body", "unsupported_media_type", "unreadable_image"]).toContain(info.code);
          return;
        }
        expect(IMAGE_TYPES).toContain(info.type);
        expect(Number.isInteger(info.width) && info.width > 0).toBe(true);
        expect(Number.isInteger(info.height) && info.height > 0).toBe(true);
      }),
      params(200),
    );
  });

  it("checkLimits refuses exactly the images over a limit, with too_many_pixels", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 32 - 1 }),
        fc.integer({ min: 1, max: 2 ** 32 - 1 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 65535 }),
        (width, height, maxPixels, maxSide) => {
          const coding = { name: "PNG RGBA", bytesPerPixel: 4.6 };
          const info: ImageInfo = { type: "image/png", width, height, fileBytes: 1000, coding };
          const over = width > maxSide || height > maxSide || width * height > maxPixels;
          const result = onlyInputErrors(() => checkLimits(info, { maxPixels, maxSide }));
          if (over) expect(result).toMatchObject({ code: "too_many_pixels", status: 422 });
          else expect(result).toBeUndefined();
        },
      ),
      params(200),
    );
  });

  it("readOrientation never throws and answers 1..8", () => {
    const tiff = fc.uint8Array({ minLength: 8, maxLength: 64 });
    const carriers = fc.oneof(
      // Random bytes behind the RIFF magic are left out here: a chunk length that reads
      // negative can make the WebP chunk walk spin forever (see the regression below), which
      // would wedge this test process instead of failing it.
      headerBytes.filter((b) => !(b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46)),
      // random TIFF blocks inside each container's EXIF slot
      tiff.map((t) => {
        const app1 = [
          0xff,
          0xe1,
          (t.length + 8) >> 8,
          (t.length + 8) & 0xff,
          0x45,
          0x78,
          0x69,
          0x66,
          0,
          0,
          ...t,
        ];
        return Uint8Array.from([0xff, 0xd8, ...app1, 0xff, 0xda]);
      }),
      tiff.map((t) => Uint8Array.from([...MAGIC.png, ...chunk("eXIf", t)])),
      tiff.map((t) =>
        Uint8Array.from([...MAGIC.webp, ...new TextEncoder().encode("EXIF"), t.length & 0xff, 0, 0, 0, ...t]),
      ),
    );
    fc.assert(
      fc.property(carriers, (bytes) => {
        const o = readOrientation(bytes);
        expect(o >= 1 && o <= 8 && Number.isInteger(o)).toBe(true);
      }),
      params(200),
    );
  });
});

describe("readOrientation on a WebP chunk length that reads negative", () => {
  // Regression (docs/RELIABILITY.md, "Findings"): models/runtime/exif.ts read a RIFF chunk
  // length as a signed 32-bit number, so 0xFFFFFFF8 was -8 and `i += 8 + length` stood still:
  // an endless loop that hung the Worker isolate and the GPU service's event loop. Run in a
  // child process with a time limit, in case it ever hangs again.
  it("terminates on a WebP chunk length that would run backwards", () => {
    const bytes = [...new TextEncoder().encode("RIFF\0\0\0\0WEBPJUNK"), 0xf8, 0xff, 0xff, 0xff];
    const exif = pathToFileURL(path.join(import.meta.dirname, "../../models/runtime/exif.ts")).href;
    const code = `import { readOrientation } from ${JSON.stringify(exif)};
      console.log("orientation", readOrientation(Uint8Array.from(${JSON.stringify(bytes)})));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
      timeout: 3000,
      encoding: "utf8",
    });
    expect(run.signal, "killed after 3 s: readOrientation did not return").toBeNull();
    expect(run.stdout).toContain("orientation 1");
  });
});

describe("decodeImage on mutated valid images", () => {
  const bases: Record<string, Uint8Array[]> = {};

  beforeAll(async () => {
    quietCodecChatter();
    await initNodeCodecs();
    bases.jpeg = [
      await jpeg(24, 16, { progressive: false }),
      await jpeg(24, 16, { progressive: true }),
      withExifOrientation(await jpeg(24, 16, { progressive: false }), 6),
    ];
    bases.png = [
      await png(24, 16),
      encodePngVariant(24, 16, { colour: 3, depth: 4 }),
      encodePngVariant(24, 16, { colour: 0, depth: 16, interlace: true }),
      encodePngVariant(24, 16, { colour: 2, depth: 8, before: [chunk("eXIf", exifTiff(8))] }),
    ];
    bases.webp = [
      await webp(24, 16),
      await webpWith(24, 16, { lossless: 1 }),
      await webpWith(24, 16, {}, true),
    ];
    const heif = (name: string) =>
      readFile(`models/runtime/fixtures/heif/${name}`).then((b) => new Uint8Array(b));
    bases.heic = [await heif("photo.heic"), await heif("photo-irot3-imir1.heic")];
    bases.avif = [await heif("photo.avif"), await heif("photo-irot1-imir0.avif")];
    bases.heicReduced = bases.heic; // decoded to YCbCr and reduced 8 times (`atLeast` 2x2 below)
    // grids of 300x300 tiles with irot/imir, decoded a tile at a time through libheif's C API
    bases.heicGrid = [await heif("grid-irot3.heic"), await heif("grid-irot1-imir0.heic")];
    // decoded at 1/8 from the DC coefficients (`atLeast` 2x2 below): baseline, progressive, restarts
    bases.jpegAtEighth = [
      ...bases.jpeg,
      new Uint8Array(await readFile("models/runtime/fixtures/jpeg-dc/restart-420.jpg")),
      new Uint8Array(await readFile("models/runtime/fixtures/jpeg-dc/progressive-restart-444.jpg")),
    ];
  }, 60_000);

  type Mutation =
    | { kind: "flip"; at: number; bit: number }
    | { kind: "set"; at: number; value: number }
    | { kind: "insert"; at: number; bytes: Uint8Array }
    | { kind: "delete"; at: number; n: number }
    | { kind: "truncate"; at: number };

  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({
      kind: fc.constant("insert" as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 32 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  );

  function mutate(base: Uint8Array, mutations: Mutation[]): Uint8Array {
    let b = base.slice();
    for (const m of mutations) {
      if (b.length === 0) break;
      const at = m.at % b.length;
      if (m.kind === "flip") b[at] ^= 1 << m.bit;
      else if (m.kind === "set") b[at] = m.value;
      else if (m.kind === "insert")
        b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
      else if (m.kind === "delete") b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.n)]);
      else b = b.slice(0, at);
    }
    return b;
  }

  for (const format of [
    "jpeg",
    "png",
    "webp",
    "heic",
    "avif",
    "jpegAtEighth",
    "heicReduced",
    "heicGrid",
  ] as const) {
    it(`${format}: a correctly sized image or InputError, never anything else, never slow`, async () => {
      let decoded = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: 9 }),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          async (which, mutations) => {
            const base = bases[format][which % bases[format].length];
            const bytes = mutate(base, mutations);
            const started = performance.now();
            const reduced = format === "jpegAtEighth" || format === "heicReduced" || format === "heicGrid";
            const atLeast = reduced ? { width: 2, height: 2 } : undefined;
            const result = await onlyInputErrorsAsync(() => decodeImage(bytes, PREVIEW_LIMITS, { atLeast }));
            expect(performance.now() - started).toBeLessThan(10_000);
            if (result instanceof InputError) {
              refused++;
              return;
            }
            decoded++;
            const info = readImageInfo(bytes);
            const orientation = info.containerOrientation ?? readOrientation(bytes);
            const [w, h] = orientedSize(info.width, info.height, orientation);
            expect([result.width, result.height]).toEqual([w, h]);
            // a JPEG decoded at 1/8, or a HEIC reduced 8 times, is stored so (rounded up)
            const [sw, sh] = result.fullSize ? [Math.ceil(w / 8), Math.ceil(h / 8)] : [w, h];
            expect(result.stored.data.length).toBe(sw * sh * 4);
          },
        ),
        params(50),
      );
      expect(decoded + refused).toBe(runs(50));
      console.log(`[fuzz] ${format}: ${decoded} mutants decoded, ${refused} refused with InputError`);
    }, 60_000);
  }
});

describe("request parsing", () => {
  const optionValue = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom(
      "learned",
      "shift-and-stitch",
      "mask",
      "probabilities",
      "mask,probabilities",
      "job.succeeded",
      "job.failed",
      " ",
      "",
    ),
    fc
      .array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("mask", "probabilities", "job.failed")), {
        maxLength: 4,
      })
      .map((a) => JSON.stringify(a)),
    fc.json({ maxDepth: 2 }),
  );
  const fields = fc.dictionary(
    fc.oneof(
      fc.constantFrom("mode", "outputs", "webhook_url", "webhook_events"),
      fc.string({ maxLength: 12 }),
    ),
    optionValue,
    { maxKeys: 5 },
  );

  it("parseJobOptions: valid options or InputError invalid_request", () => {
    fc.assert(
      fc.property(fields, (f) => {
        const options = onlyInputErrors(() => parseJobOptions(f));
        if (options instanceof InputError) {
          expect(options.code).toBe("invalid_request");
          return;
        }
        expect(["learned", "shift-and-stitch"]).toContain(options.mode);
        expect(options.outputs).toContain("mask");
        expect(new Set(options.outputs).size).toBe(options.outputs.length);
        expect(options.outputs.every((o) => o === "mask" || o === "probabilities")).toBe(true);
        expect(options.webhookEvents.length).toBeGreaterThan(0);
        expect(options.webhookEvents.every((e) => e === "job.succeeded" || e === "job.failed")).toBe(true);
        if (options.webhookUrl !== null) expect(options.webhookUrl.length).toBeLessThanOrEqual(2048);
      }),
      params(300),
    );
  });

  const headerValue = fc.string({ maxLength: 40 }).filter((s) => /^[\t\x20-\x7e]*$/.test(s));
  const contentType = fc.option(
    fc.oneof(
      fc.constantFrom(
        "image/jpeg",
        "image/png",
        "image/webp",
        "IMAGE/PNG; q=1",
        "multipart/form-data",
        "multipart/form-data; boundary=b",
        "multipart/form-data; boundary=----fcn-corpus-7MA4YWxkTrZu0gW",
        "text/plain",
        "application/octet-stream",
      ),
      headerValue,
    ),
  );
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc
      .tuple(
        fc.array(
          fc.record({
            name: fc.constantFrom("image", "mode", "outputs", "x"),
            filename: fc.option(
              fc.string({ maxLength: 8 }).filter((s) => !/["\r\n]/.test(s)),
              { nil: undefined },
            ),
            data: fc.oneof(
              fc.uint8Array({ maxLength: 2000 }),
              fc.string({ maxLength: 20 }).filter((s) => !s.includes("--")),
            ),
          }),
          { maxLength: 3 },
        ),
        fc.nat(),
      )
      .map(([parts, cut]) => {
        const { bytes } = multipart(parts);
        return cut % 3 === 0 ? bytes.slice(0, cut % (bytes.length + 1)) : bytes;
      }),
  );
  const declaredLength = fc.option(
    fc.oneof(
      fc.nat({ max: 10_000 }).map(String),
      fc.constantFrom("-1", "1e9", "NaN", "", "12abc", "99999999999"),
    ),
  );

  it("readImageUpload: bytes within the limit, or InputError; never another error", async () => {
    await fc.assert(
      fc.asyncProperty(
        contentType,
        body,
        declaredLength,
        fc.integer({ min: 0, max: 4096 }),
        async (type, bytes, length, maxBytes) => {
          const headers = new Headers();
          if (type !== null) headers.set("content-type", type);
          if (length !== null) headers.set("content-length", length);
          const request = new Request("http://edge.test/v1/preview", {
            method: "POST",
            headers,
            body: bytes as Uint8Array<ArrayBuffer>,
          });
          const upload = await onlyInputErrorsAsync(() => readImageUpload(request, { maxBytes }));
          if (upload instanceof InputError) {
            expect(["payload_too_large", "unsupported_media_type", "invalid_request"]).toContain(upload.code);
            return;
          }
          expect(upload.bytes.byteLength).toBeLessThanOrEqual(maxBytes);
          for (const v of Object.values(upload.fields)) expect(typeof v).toBe("string");
        },
      ),
      params(300),
    );
  });

  const privateV4 = fc
    .tuple(
      fc.constantFrom([10], [127], [169, 254], [192, 168], [172, 16], [100, 64], [0]),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
    )
    .map(([prefix, rest]) => [...prefix, ...rest.slice(prefix.length)]);

  it("checkWebhookUrl: a URL or UnsafeWebhookUrl; production never lets a private address through", async () => {
    const raw = fc.oneof(
      fc.webUrl({ withQueryParameters: true }),
      fc.string({ maxLength: 40 }),
      privateV4.map((a) => `https://${a.join(".")}/hook`),
      privateV4.map((a) => `https://[::ffff:${a.join(".")}]/hook`),
      fc.constantFrom(
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http://localhost/",
        "https://metadata.google.internal/",
        "https://u:p@example.com/",
      ),
    );
    const resolved = fc.array(
      fc.oneof(
        privateV4.map((a) => a.join(".")),
        fc.ipV4(),
        fc.ipV6(),
      ),
      { maxLength: 3 },
    );
    await fc.assert(
      fc.asyncProperty(raw, resolved, fc.boolean(), async (url, addresses, development) => {
        let result: URL | UnsafeWebhookUrl;
        try {
          result = await checkWebhookUrl(url, { development, resolve: async () => addresses });
        } catch (error) {
          if (!(error instanceof UnsafeWebhookUrl)) throw error;
          result = error;
        }
        if (result instanceof UnsafeWebhookUrl || development) return;
        expect(result.protocol).toBe("https:");
        // judged by the independent oracle (net.BlockList over the IANA registries), never
        // by the functions under test
        const literal = result.hostname.replace(/^\[|\]$/g, "");
        if (isIP(literal)) expect(policyRefuses(literal), literal).toBe(false);
        else for (const a of addresses) expect(policyRefuses(a), `${result.hostname} -> ${a}`).toBe(false);
      }),
      params(300),
    );
  });

  // The address rule itself against the oracle, both ways (refusing too much is a bug too):
  // random addresses, addresses inside every listed range and the edges of each.
  it("isPrivateIPv4 / isPrivateIPv6 agree with an independent oracle (net.BlockList over the IANA registries)", () => {
    const toV4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    const v4Number = (dotted: string) => dotted.split(".").reduce((n, p) => n * 256 + Number(p), 0);
    const agreeV4 = (n: number) => {
      const a = toV4(n >>> 0);
      expect(isPrivateIPv4(a), a.join(".")).toBe(policyRefuses(a.join(".")));
    };
    // every range's first and last address and its neighbours outside
    for (const [network, prefix] of REFUSED_IPV4) {
      const first = v4Number(network);
      const last = first + 2 ** (32 - prefix) - 1;
      for (const n of [first - 1, first, last, last + 1]) if (n >= 0 && n < 2 ** 32) agreeV4(n);
    }
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), agreeV4), params(2000));
    // inside a listed range: its prefix, then random bits
    fc.assert(
      fc.property(
        fc.constantFrom(...REFUSED_IPV4),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        ([network, prefix], r) => {
          const span = 2 ** (32 - prefix);
          agreeV4(v4Number(network) + (r % span));
        },
      ),
      params(500),
    );

    const agreeV6 = (address: string) => {
      expect(isPrivateIPv6(address), address).toBe(policyRefuses(address));
    };
    const hextet = fc.integer({ min: 0, max: 0xffff });
    const v6Prefixes = [
      ...REFUSED_IPV6_GLOBAL_UNICAST.map(([network]) => network),
      "::ffff:",
      "64:ff9b::",
      "64:ff9b:1::",
      "2002:",
      "2000::",
      "fe80::",
      "fc00::",
      "::",
    ];
    fc.assert(
      fc.property(fc.array(hextet, { minLength: 8, maxLength: 8 }), (g) =>
        agreeV6(g.map((x) => x.toString(16)).join(":")),
      ),
      params(1000),
    );
    // the embedding forms and the listed ranges, with a random (often special) IPv4 inside
    fc.assert(
      fc.property(
        fc.constantFrom(...v6Prefixes),
        fc.oneof(
          fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          fc.constantFrom(...REFUSED_IPV4.map(([n]) => v4Number(n) + 1)),
        ),
        fc.array(hextet, { minLength: 2, maxLength: 2 }),
        (prefix, n, [h1, h2]) => {
          const a = toV4(n);
          const hi = ((a[0] << 8) | a[1]).toString(16);
          const lo = ((a[2] << 8) | a[3]).toString(16);
          if (prefix === "::ffff:" || prefix === "64:ff9b::") agreeV6(`${prefix}${a.join(".")}`);
          else if (prefix === "2002:") agreeV6(`2002:${hi}:${lo}:${h1.toString(16)}::${h2.toString(16)}`);
          else if (prefix === "::") agreeV6(`::${hi}:${lo}`);
          else {
            const head = prefix.replace(/::$/, "").split(":");
            const rest = [h1, h2, n >>> 16, n & 0xffff].map((x) => x.toString(16));
            agreeV6([...head, ...rest, "0", "0", "0", "0"].slice(0, 8).join(":"));
          }
        },
      ),
      params(1000),
    );
  });

  // Regression (docs/RELIABILITY.md, "Findings"): IPv6 forms that embed an IPv4 address
  // other than ::ffff:a.b.c.d used to pass the production policy.
  it("production refuses private IPv4 embedded in IPv6 (compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16)", async () => {
    const hex = (a: number[]) => `${((a[0] << 8) | a[1]).toString(16)}:${((a[2] << 8) | a[3]).toString(16)}`;
    for (const a of [
      [127, 0, 0, 1],
      [169, 254, 169, 254],
      [10, 0, 0, 1],
    ]) {
      for (const url of [
        `https://[::${a.join(".")}]/`,
        `https://[64:ff9b::${hex(a)}]/`,
        `https://[2002:${hex(a)}::]/`,
      ]) {
        await expect(
          checkWebhookUrl(url, { development: false, resolve: async () => [] }),
          url,
        ).rejects.toThrow(UnsafeWebhookUrl);
      }
    }
  });
  // Regression (docs/RELIABILITY.md, "Findings", issue #15 finding 7): names with a trailing
  // dot passed the internal-name filter, and fec0::/10 and Teredo 2001::/32 were accepted.
  it("production refuses trailing-dot internal names and every IANA non-global range (fec0::/10, Teredo, documentation, NAT64/6to4 of private IPv4)", async () => {
    const refuse = async (url: string) =>
      expect(
        checkWebhookUrl(url, { development: false, resolve: async () => ["93.184.216.34"] }),
        url,
      ).rejects.toThrow(UnsafeWebhookUrl);
    for (const name of [
      "localhost",
      "api.localhost",
      "metadata.google.internal",
      "printer.local",
      "intranet",
    ])
      for (const dots of [".", ".."]) await refuse(`https://${name}${dots}/hook`);
    // [prefix hextets, prefix length] of IPv6 ranges that are not globally reachable
    const v6: [number[], number][] = [
      [[0xfec0], 10],
      [[0x2001, 0], 32],
      [[0x2001, 0x0db8], 32],
      [[0x2001, 0x0100], 23],
      [[0x3fff], 20],
      [[0xfc00], 7],
      [[0xfe80], 10],
      [[0xff00], 8],
      [[0x0100, 0, 0, 0], 64],
      [[0x64, 0xff9b, 1], 48],
      [[0], 8],
    ];
    const v4: [number[], number][] = [
      [[192, 0, 0], 24],
      [[192, 0, 2], 24],
      [[192, 88, 99], 24],
      [[198, 51, 100], 24],
      [[203, 0, 113], 24],
      [[198, 18], 15],
      [[240], 4],
      [[10], 8],
      [[127], 8],
      [[169, 254], 16],
      [[100, 64], 10],
    ];
    const inside = (prefix: number[], bits: number, width: number, parts: number, random: number[]) =>
      random.slice(0, parts).map((r, i) => {
        const fixed = Math.max(0, Math.min(width, bits - i * width));
        const mask = fixed === 0 ? 0 : ((2 ** width - 1) << (width - fixed)) & (2 ** width - 1);
        return ((prefix[i] ?? 0) & mask) | (r & ~mask & (2 ** width - 1));
      });
    const hextets = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...v6), hextets, async ([prefix, bits], random) => {
        const g = inside(prefix, bits, 16, 8, random);
        await refuse(`https://[${g.map((x) => x.toString(16)).join(":")}]/hook`);
      }),
      params(200),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...v4), hextets, async ([prefix, bits], random) => {
        const a = inside(prefix, bits, 8, 4, random);
        await refuse(`https://${a.join(".")}/hook`);
        const hex = `${((a[0] << 8) | a[1]).toString(16)}:${((a[2] << 8) | a[3]).toString(16)}`;
        await refuse(`https://[64:ff9b::${hex}]/hook`); // NAT64
        await refuse(`https://[2002:${hex}::1]/hook`); // 6to4
        await refuse(`https://[::ffff:${a.join(".")}]/hook`); // mapped
      }),
      params(200),
    );
  });
});
