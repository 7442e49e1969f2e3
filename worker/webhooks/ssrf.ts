/**
 * Where a webhook may go. In production: https only, and never to private, loopback,
 * link-local or otherwise internal addresses, whether written literally or reached through a
 * DNS name (resolved over DNS-over-HTTPS) or a redirect. Development (`npm start`) also
 * accepts http and loopback receivers so a local test receiver works.
 */

export class UnsafeWebhookUrl extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeWebhookUrl";
  }
}

function ipv4(host: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

export function isPrivateIPv4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

export function isPrivateIPv6(address: string): boolean {
  const h = address.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "::" || h === "::1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped) return isPrivateIPv4(ipv4(mapped[1]) ?? [0]);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (hex) {
    const hi = Number.parseInt(hex[1], 16);
    return isPrivateIPv4([hi >> 8, hi & 255]);
  }
  const first = Number.parseInt(h.split(":")[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}

const INTERNAL_NAMES =
  /(^|\.)(localhost|local|internal|intranet|lan|home\.arpa)$|^metadata(\.google\.internal)?$/i;

export const isLoopbackHost = (host: string) =>
  /^(localhost|.*\.localhost)$/i.test(host) || ipv4(host)?.[0] === 127 || host === "[::1]" || host === "::1";

/** Resolves a name to its A and AAAA addresses (DNS-over-HTTPS in production). */
export type Resolver = (name: string) => Promise<string[]>;

export const dohResolver: Resolver = async (name) => {
  const answers: string[] = [];
  for (const type of ["A", "AAAA"]) {
    const r = await fetch(
      `https://cloudflare-dns.com/dns-query?name=${encodeURIComponent(name)}&type=${type}`,
      {
        headers: { accept: "application/dns-json" },
        signal: AbortSignal.timeout(3000),
      },
    );
    const body = (await r.json()) as { Answer?: { type: number; data: string }[] };
    for (const a of body.Answer ?? []) if (a.type === 1 || a.type === 28) answers.push(a.data);
  }
  return answers;
};

export interface UrlPolicy {
  development: boolean;
  resolve?: Resolver;
}

/** Throws UnsafeWebhookUrl unless `raw` may receive webhooks under `policy`. */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeWebhookUrl("webhook_url is not a valid URL");
  }
  if (url.username || url.password) throw new UnsafeWebhookUrl("webhook_url must not carry credentials");
  const host = url.hostname;
  if (policy.development) {
    if (url.protocol !== "https:" && url.protocol !== "http:")
      throw new UnsafeWebhookUrl("webhook_url must be http(s)");
    return url;
  }
  if (url.protocol !== "https:") throw new UnsafeWebhookUrl("webhook_url must use https");
  const v4 = ipv4(host);
  if (v4) {
    if (isPrivateIPv4(v4)) throw new UnsafeWebhookUrl("webhook_url points at a private or reserved address");
    return url;
  }
  if (host.startsWith("[")) {
    if (isPrivateIPv6(host))
      throw new UnsafeWebhookUrl("webhook_url points at a private or reserved address");
    return url;
  }
  if (INTERNAL_NAMES.test(host) || !host.includes("."))
    throw new UnsafeWebhookUrl("webhook_url points at an internal name");
  if (policy.resolve) {
    const addresses = await policy.resolve(host);
    for (const a of addresses) {
      const a4 = ipv4(a);
      if ((a4 && isPrivateIPv4(a4)) || (!a4 && isPrivateIPv6(a))) {
        throw new UnsafeWebhookUrl(`webhook_url resolves to a private address (${a})`);
      }
    }
  }
  return url;
}
