/**
 * Which IP addresses the edge refuses to send a client-chosen request to: every address that
 * is not globally reachable (the IANA IPv4 and IPv6 special-purpose registries), with the IPv6
 * forms that carry an IPv4 address judged by that address. The URL policy (url-policy.ts)
 * applies it to literal hosts and to what their names resolve to.
 */

/** Four decimal parts of 1-3 digits, each at most 255 (the URL parser writes IPv4 hosts so). */
export function parseIPv4(host: string): number[] | undefined {
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
    const p = parseIPv4(v4[1]);
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
