import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isPrivateIPv4, isPrivateIPv6 } from "./ssrf.ts";

const production = {
  development: false,
  resolve: async (name: string) => (name === "loopback.example.com" ? ["::1"] : ["93.184.216.34"]),
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
    expect(isPrivateIPv6("2606:4700::1111")).toBe(false);
    expect(isPrivateIPv6("::ffff:7f00:1")).toBe(true);
  });
});
