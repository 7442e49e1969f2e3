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

/** Parse an IPv6 address (with optional brackets and embedded IPv4) into 8 hextets. */
export function parseIPv6(address: string): number[] | undefined {
  let h = address
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .split("%")[0];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (v4) {
    const p = ipv4(v4[1]);
    if (!p) return undefined;
    h = `${h.slice(0, -v4[1].length)}${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const halves = h.split("::");
  if (halves.length > 2) return undefined;
  const part = (s: string) => (s ? s.split(":") : []);
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...tail];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => Number.parseInt(g, 16));
}

/**
 * Private, loopback, link-local, multicast or unspecified IPv6, including IPv4 embedded by
 * mapping (::ffff:0:0/96), compatibility (::/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 * Unparseable addresses count as private.
 */
export function isPrivateIPv6(address: string): boolean {
  const g = parseIPv6(address);
  if (!g) return true;
  const embedded = (hi: number, lo: number) => isPrivateIPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(6)) return true; // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  if (zeros(5) && g[5] === 0xffff) return embedded(g[6], g[7]); // IPv4-mapped
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return embedded(g[6], g[7]); // NAT64
  if (g[0] === 0x2002) return embedded(g[1], g[2]);
  return (g[0] & 0xfe00) === 0xfc00 || (g[0] & 0xffc0) === 0xfe80 || (g[0] & 0xff00) === 0xff00;
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
