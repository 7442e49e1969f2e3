import { describe, expect, it, vi } from "vitest";
import { isPrivateIPv4, isPrivateIPv6 } from "./addresses.ts";
import { dohResolver, ResolverUnavailable } from "./resolver.ts";
import {
  checkImageUrl,
  checkWebhookUrl,
  normaliseHostname,
  UnsafeUrl,
  UnsafeWebhookUrl,
} from "./url-policy.ts";

const production = {
  development: false,
  resolve: async (name: string) =>
    name === "loopback.example.com" ? ["::1"] : name === "nxdomain.example.com" ? [] : ["93.184.216.34"],
};

describe("webhook_url policy", () => {
  const refused = [
    "http://hooks.example.com/x", // not https
    "https://127.0.0.1/x",
    "https://10.1.2.3/x",
    "https://172.20.0.1/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest",
    "https://100.64.0.1/x",
    "https://0.0.0.0/x",
    "https://[::1]/x",
    "https://[fd00::1]/x",
    "https://[fe80::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://localhost/x",
    "https://api.localhost/x",
    "https://metadata.google.internal/x",
    "https://printer.local/x",
    "https://intranet/x",
    "https://loopback.example.com/x",
    "https://user:pass@hooks.example.com/x",
    "ftp://hooks.example.com/x",
    "not a url",
    // Issue #15 finding 7: trailing dots, and ranges the first policy missed
    "https://localhost./x",
    "https://api.localhost../x",
    "https://metadata.google.internal./x",
    "https://printer.local./x",
    "https://intranet./x",
    "https://hooks.test/x",
    "https://[fec0::1]/x", // site-local (deprecated)
    "https://[2001:0::1]/x", // Teredo
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x", // Teredo
    "https://[2001:db8::1]/x", // documentation
    "https://[3fff::1]/x", // documentation
    "https://[100::1]/x", // discard
    "https://[64:ff9b:1::a9fe:a9fe]/x", // local-use NAT64
    "https://[64:ff9b::c0a8:1]/x", // NAT64 of 192.168.0.1
    "https://[2002:c0a8:101::1]/x", // 6to4 of 192.168.1.1
    "https://[ff02::1]/x",
    "https://[::]/x",
    "https://192.0.2.1/x", // TEST-NET-1
    "https://198.51.100.7/x",
    "https://203.0.113.9/x",
    "https://192.88.99.1/x", // 6to4 relay anycast
    "https://198.18.0.1/x", // benchmarking
    "https://240.0.0.1/x",
    "https://255.255.255.255/x",
    "https://2130706433/x", // 127.0.0.1 as one number
    "https://0x7f.1/x",
    "https://nxdomain.example.com/x", // does not resolve
  ];
  for (const url of refused) {
    it(`refuses ${url} in production`, async () => {
      await expect(checkWebhookUrl(url, production)).rejects.toThrow();
    });
  }

  it("accepts a public https URL in production", async () => {
    await expect(checkWebhookUrl("https://hooks.example.com/fcn", production)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl("https://93.184.216.34/fcn", production)).resolves.toBeInstanceOf(URL);
  });

  it("accepts http and loopback receivers in development", async () => {
    await expect(
      checkWebhookUrl("http://127.0.0.1:9999/hook", { development: true }),
    ).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl("file:///etc/passwd", { development: true })).rejects.toThrow();
  });

  it("classifies address ranges", () => {
    expect(isPrivateIPv4([8, 8, 8, 8])).toBe(false);
    expect(isPrivateIPv4([172, 32, 0, 1])).toBe(false);
    expect(isPrivateIPv4([172, 31, 0, 1])).toBe(true);
    expect(isPrivateIPv4([192, 0, 1, 1])).toBe(false); // global, next to 192.0.0/24 and 192.0.2/24
    expect(isPrivateIPv4([198, 51, 101, 1])).toBe(false);
    expect(isPrivateIPv6("2606:4700::1111")).toBe(false);
    expect(isPrivateIPv6("2001:4860:4860::8888")).toBe(false); // global, outside 2001::/23
    expect(isPrivateIPv6("2a00:1450:4001::1")).toBe(false);
    expect(isPrivateIPv6("64:ff9b::808:808")).toBe(false); // NAT64 of 8.8.8.8
    expect(isPrivateIPv6("2002:808:808::1")).toBe(false); // 6to4 of 8.8.8.8
    expect(isPrivateIPv6("::ffff:7f00:1")).toBe(true);
    expect(isPrivateIPv6("fec0::1")).toBe(true);
    expect(isPrivateIPv6("2001::1")).toBe(true);
  });

  it("normalises names before the checks: lower case, trailing dots dropped", () => {
    expect(normaliseHostname("LocalHost.")).toBe("localhost");
    expect(normaliseHostname("printer.local..")).toBe("printer.local");
    expect(normaliseHostname("hooks.example.com")).toBe("hooks.example.com");
  });

  it("an unreachable resolver is ResolverUnavailable (a 503 at submit, a retry at delivery), never a refusal or a crash", async () => {
    const down = {
      development: false,
      resolve: async () => {
        throw new ResolverUnavailable("could not resolve hooks.example.com: fetch failed");
      },
    };
    await expect(checkWebhookUrl("https://hooks.example.com/x", down)).rejects.toBeInstanceOf(
      ResolverUnavailable,
    );
    const failing = vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("fetch failed"));
    await expect(dohResolver("hooks.example.com")).rejects.toBeInstanceOf(ResolverUnavailable);
    failing.mockResolvedValue(Response.json({ Status: 2 })); // SERVFAIL
    await expect(dohResolver("hooks.example.com")).rejects.toBeInstanceOf(ResolverUnavailable);
    failing.mockResolvedValue(new Response("busy", { status: 502 }));
    await expect(dohResolver("hooks.example.com")).rejects.toBeInstanceOf(ResolverUnavailable);
    failing.mockResolvedValue(Response.json({ Status: 3 })); // NXDOMAIN: no addresses
    await expect(dohResolver("nope.example.com")).resolves.toEqual([]);
    failing.mockRestore();
  });

  it("DNS rebinding: a name checked public at submit and private later is refused at the later check", async () => {
    let calls = 0;
    const rebinding = {
      development: false,
      resolve: async () => (calls++ === 0 ? ["93.184.216.34"] : ["169.254.169.254"]),
    };
    await expect(checkWebhookUrl("https://rebind.example.com/x", rebinding)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl("https://rebind.example.com/x", rebinding)).rejects.toBeInstanceOf(
      UnsafeWebhookUrl,
    );
  });
});

describe("address reading (ipaddr.js parses and names the ranges; the policy stays ours)", () => {
  it("reads IPv4 as four decimal parts, leading zeros decimal, never ipaddr.js's octal or hex", async () => {
    const resolvingTo = (address: string) => ({ development: false, resolve: async () => [address] });
    const check = (address: string) => checkWebhookUrl("https://hooks.example.com/x", resolvingTo(address));
    await expect(check("010.0.0.1")).rejects.toThrow(UnsafeWebhookUrl); // 10.0.0.1, not octal 8.0.0.1
    await expect(check("011.1.1.1")).resolves.toBeInstanceOf(URL); // 11.1.1.1
    await expect(check("0x7f.0.0.1")).rejects.toThrow(UnsafeWebhookUrl); // not an address: refused
    await expect(check("2130706433")).rejects.toThrow(UnsafeWebhookUrl);
  });

  it("reads IPv6 with an embedded IPv4 as the policy always did", () => {
    expect(isPrivateIPv6("::8.8.8.8")).toBe(true); // IPv4-compatible (ipaddr.js alone: mapped 8.8.8.8)
    expect(isPrivateIPv6("::ffff:8.8.8.8")).toBe(false);
    expect(isPrivateIPv6("::ffff:0x08.8.8.8")).toBe(true); // a hex part: not an address
    expect(isPrivateIPv6("2606:4700::0x7f.0.0.1")).toBe(true);
    expect(isPrivateIPv6("64:ff9b::10.0.0.1")).toBe(true);
    expect(isPrivateIPv6("64:ff9b::8.8.8.8")).toBe(false);
    expect(isPrivateIPv6("2606:4700::1111%eth0")).toBe(false); // a zone index is ignored
    expect(isPrivateIPv6("[2606:4700::1111]")).toBe(false);
    expect(isPrivateIPv6("::2606:4700:0:0:0:0:0:1111")).toBe(true); // `::` standing for no group
  });

  it("refuses all of 2001::/23 and accepts the globally reachable ranges ipaddr.js names", () => {
    expect(isPrivateIPv6("2001:3::1")).toBe(true); // AMT, inside 2001::/23
    expect(isPrivateIPv6("2001:20::1")).toBe(true); // ORCHIDv2, inside 2001::/23
    expect(isPrivateIPv6("2620:4f:8000::1")).toBe(false); // AS112 direct delegation
    expect(isPrivateIPv6("5f00::1")).toBe(true); // segment routing, outside 2000::/3
    expect(isPrivateIPv4([192, 52, 193, 1])).toBe(false); // AMT
    expect(isPrivateIPv4([192, 175, 48, 1])).toBe(false); // AS112
    expect(isPrivateIPv4([255, 255, 255, 255])).toBe(true);
  });
});

describe("image_url policy", () => {
  it("is the production policy, naming image_url, with DNS names resolved", async () => {
    await expect(checkImageUrl("https://images.example.com/a.jpg", production)).resolves.toBeInstanceOf(URL);
    for (const [url, message] of [
      ["http://images.example.com/a.jpg", "image_url must use https"],
      ["https://10.0.0.1/a.jpg", "image_url points at a private or reserved address"],
      ["https://169.254.169.254/latest", "image_url points at a private or reserved address"],
      ["https://[::1]/a.jpg", "image_url points at a private or reserved address"],
      ["https://loopback.example.com/a.jpg", "image_url resolves to a private address (::1)"],
      ["not a url", "image_url is not a valid URL"],
    ]) {
      const error = await checkImageUrl(url, production).catch((e) => e);
      expect(error, url).toBeInstanceOf(UnsafeUrl);
      expect(error.message, url).toBe(message);
    }
  });

  it("in development also accepts loopback (a local test server) and nothing else private", async () => {
    const development = { development: true };
    await expect(checkImageUrl("http://127.0.0.1:9000/a.png", development)).resolves.toBeInstanceOf(URL);
    await expect(checkImageUrl("http://localhost/a.png", development)).resolves.toBeInstanceOf(URL);
    await expect(checkImageUrl("http://10.0.0.1/a.png", development)).rejects.toThrow(UnsafeUrl);
    await expect(checkImageUrl("https://192.168.1.1/a.png", development)).rejects.toThrow(UnsafeUrl);
  });
});
