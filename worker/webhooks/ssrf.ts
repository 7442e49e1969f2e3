/**
 * Where the edge may send a request the client chose: a webhook, or the fetch of an
 * `image_url`. In production: https only, and never to an address that is not
 * globally reachable (the IANA special-purpose registries, IPv4 and IPv6) or an internal
 * name, whether written literally or reached through a DNS name (resolved over
 * DNS-over-HTTPS) or a redirect. Development (`npm start`) also accepts http and loopback
 * receivers so a local test receiver works.
 *
 * What remains: the Worker's own fetch resolves the name again, so a rebinding between this
 * check and the connection is not caught here; Workers' outbound fetch cannot reach private
 * networks, which is what closes that gap in production.
 */

/** A URL the edge must not fetch (its message names the field, e.g. `image_url`). */
export class UnsafeUrl extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeUrl";
  }
}

export class UnsafeWebhookUrl extends UnsafeUrl {
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

/**
 * Not globally reachable IPv4 (the IANA IPv4 Special-Purpose Address Registry, plus
 * multicast and the reserved 240/4): this network, private, shared (CGN), loopback,
 * link-local, IETF protocol assignments, documentation, 6to4 relay, benchmarking, broadcast.
 */
export function isPrivateIPv4([a, b, c]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 192 && b === 88 && c === 99) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
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
 * Not globally reachable IPv6 (the IANA IPv6 Special-Purpose Address Registry): anything
 * outside global unicast 2000::/3 (unspecified, loopback, IPv4-compatible, discard, ULA,
 * link-local, the deprecated site-local fec0::/10, multicast, local-use NAT64), except the
 * forms that embed an IPv4 address, which are judged by that address: IPv4-mapped
 * ::ffff:0:0/96 and NAT64 64:ff9b::/96. Inside 2000::/3: IETF protocol assignments 2001::/23
 * (Teredo 2001::/32 among them), documentation 2001:db8::/32 and 3fff::/20, and 6to4
 * 2002::/16 embedding a non-global IPv4. Unparseable addresses count as private.
 */
export function isPrivateIPv6(address: string): boolean {
  const g = parseIPv6(address);
  if (!g) return true;
  const embedded = (hi: number, lo: number) => isPrivateIPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return embedded(g[6], g[7]); // IPv4-mapped
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return embedded(g[6], g[7]); // NAT64
  if ((g[0] & 0xe000) !== 0x2000) return true; // not global unicast
  if (g[0] === 0x2001 && g[1] < 0x200) return true; // 2001::/23, Teredo included
  if (g[0] === 0x2001 && g[1] === 0x0db8) return true; // documentation
  if (g[0] === 0x3fff && g[1] < 0x1000) return true; // documentation 3fff::/20
  if (g[0] === 0x2002) return embedded(g[1], g[2]); // 6to4
  return false;
}

// Special-use and internal names (RFC 6761, 6762, 8375, 9476, and common private suffixes),
// matched after normalisation (lower case, no trailing dot).
const INTERNAL_NAMES =
  /(^|\.)(localhost|local|internal|intranet|lan|corp|home\.arpa|invalid|test|onion|alt)$|^metadata(\.google\.internal)?$/i;

/**
 * A host name as DNS sees it: lower case, without the trailing dot(s) that make a name fully
 * qualified (`localhost.` is `localhost`), so suffix checks cannot be sidestepped.
 */
export const normaliseHostname = (host: string): string => host.toLowerCase().replace(/\.+$/, "");

export const isLoopbackHost = (host: string) =>
  /^(localhost|.*\.localhost)$/i.test(host) || ipv4(host)?.[0] === 127 || host === "[::1]" || host === "::1";

/**
 * The resolver could not answer (network, timeout, SERVFAIL): the URL is neither safe nor
 * unsafe yet. Submissions answer 503 `dns_unavailable`; deliveries retry later.
 */
export class ResolverUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResolverUnavailable";
  }
}

/**
 * Resolves a name to its A and AAAA addresses (DNS-over-HTTPS in production); [] when the
 * name does not exist. Throws ResolverUnavailable when it cannot tell.
 */
export type Resolver = (name: string) => Promise<string[]>;

const DNS_NOERROR = 0;
const DNS_NXDOMAIN = 3;

export const dohResolver: Resolver = async (name) => {
  const answers: string[] = [];
  for (const type of ["A", "AAAA"]) {
    let body: { Status?: number; Answer?: { type: number; data: string }[] };
    try {
      const r = await fetch(
        `https://cloudflare-dns.com/dns-query?name=${encodeURIComponent(name)}&type=${type}`,
        {
          headers: { accept: "application/dns-json" },
          signal: AbortSignal.timeout(3000),
        },
      );
      if (!r.ok) throw new Error(`DNS-over-HTTPS answered ${r.status}`);
      body = await r.json();
    } catch (error) {
      throw new ResolverUnavailable(
        `could not resolve ${name}: ${error instanceof Error ? error.message : error}`,
      );
    }
    if (body.Status === DNS_NXDOMAIN) return [];
    if (body.Status !== DNS_NOERROR)
      throw new ResolverUnavailable(`could not resolve ${name}: DNS status ${body.Status}`);
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
  try {
    return await checkUrl(raw, policy, "webhook_url");
  } catch (error) {
    if (error instanceof UnsafeUrl) throw new UnsafeWebhookUrl(error.message);
    throw error;
  }
}

/**
 * Throws UnsafeUrl unless the edge may fetch an `image_url` at `raw` under `policy`: the
 * production rules, except that development also accepts loopback hosts over http (a local
 * test server), and only those: private and link-local targets stay refused there too.
 */
export async function checkImageUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  if (policy.development) {
    const url = parseUrl(raw, "image_url");
    const host = normaliseHostname(url.hostname);
    if ((url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(host)) return url;
  }
  return checkUrl(raw, { development: false, resolve: policy.resolve }, "image_url");
}

function parseUrl(raw: string, field: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new UnsafeUrl(`${field} is not a valid URL`);
  }
}

/** The rules for any client-chosen target; `field` names it in the messages. */
async function checkUrl(raw: string, policy: UrlPolicy, field: string): Promise<URL> {
  const url = parseUrl(raw, field);
  if (url.username || url.password) throw new UnsafeUrl(`${field} must not carry credentials`);
  const host = normaliseHostname(url.hostname);
  if (policy.development) {
    if (url.protocol !== "https:" && url.protocol !== "http:")
      throw new UnsafeUrl(`${field} must be http(s)`);
    return url;
  }
  if (url.protocol !== "https:") throw new UnsafeUrl(`${field} must use https`);
  const v4 = ipv4(host);
  if (v4) {
    if (isPrivateIPv4(v4)) throw new UnsafeUrl(`${field} points at a private or reserved address`);
    return url;
  }
  if (host.startsWith("[")) {
    if (isPrivateIPv6(host)) throw new UnsafeUrl(`${field} points at a private or reserved address`);
    return url;
  }
  if (INTERNAL_NAMES.test(host) || !host.includes("."))
    throw new UnsafeUrl(`${field} points at an internal name`);
  if (policy.resolve) {
    // Checked again at every delivery and redirect hop, so a name that is rebound to a
    // private address after the submit is refused then.
    const addresses = await policy.resolve(host);
    if (addresses.length === 0) throw new UnsafeUrl(`${field}'s host name does not resolve`);
    for (const a of addresses) {
      const a4 = ipv4(a);
      if ((a4 && isPrivateIPv4(a4)) || (!a4 && isPrivateIPv6(a))) {
        throw new UnsafeUrl(`${field} resolves to a private address (${a})`);
      }
    }
  }
  return url;
}
