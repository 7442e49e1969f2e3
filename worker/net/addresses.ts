/**
 * Which IP addresses the edge refuses to send a client-chosen request to: every address that
 * is not globally reachable (the IANA IPv4 and IPv6 special-purpose registries), with the IPv6
 * forms that carry an IPv4 address judged by that address. The URL policy (url-policy.ts)
 * applies it to literal hosts and to what their names resolve to.
 *
 * ipaddr.js parses the addresses and names the special-purpose range each falls in
 * (`range()`); which of those ranges are refused, and how the IPv4-carrying IPv6 forms are
 * read, is this module's policy.
 */
import ipaddr from "ipaddr.js";

/**
 * The one IPv4 text form the policy reads: four decimal parts of 1-3 digits (leading zeros
 * read as decimal). The URL parser has already turned every other form of a host (one
 * number, octal, hex, `127.1`) into this one; ipaddr.js's own IPv4 parser would read those
 * forms in DNS answers too, and a leading zero as octal, so it is not used for text.
 */
const FOUR_DECIMAL_PARTS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The IPv4 address written as four decimal parts, each at most 255; else undefined. */
export function parseIPv4(text: string): ipaddr.IPv4 | undefined {
  const m = FOUR_DECIMAL_PARTS.exec(text);
  if (!m) return undefined;
  try {
    return new ipaddr.IPv4(m.slice(1).map(Number)); // throws on a part over 255
  } catch {
    return undefined;
  }
}

/**
 * The IPv4 ranges (ipaddr.js's names) that are globally reachable: everything else is
 * refused, so a range a later ipaddr.js names is refused until it is listed here. Refused
 * today: this network 0/8, private, shared (CGN), loopback, link-local, multicast, broadcast
 * and `reserved` (the whole of 192.0.0.0/24, documentation, 6to4 relay, benchmarking, 240/4).
 */
const GLOBAL_IPV4_RANGES: ReadonlySet<string> = new Set(["unicast", "as112", "amt"]);

const refusesIPv4 = (address: ipaddr.IPv4) => !GLOBAL_IPV4_RANGES.has(address.range());

/**
 * Whether the policy refuses the IPv4 address with these four octets (the IANA IPv4
 * Special-Purpose Address Registry, plus multicast and the reserved 240/4).
 */
export function isPrivateIPv4(octets: number[]): boolean {
  return refusesIPv4(new ipaddr.IPv4(octets));
}

/**
 * An IPv6 address as a URL host (`[...]`) or a DNS answer writes it, a zone index (`%eth0`)
 * ignored; undefined when it is not one. An embedded IPv4 part is read like a bare IPv4
 * (parseIPv4) and handed to ipaddr.js as two hex groups: ipaddr.js would read `::a.b.c.d`
 * as IPv4-mapped (it is IPv4-compatible, ::/96, refused whatever it carries) and accept hex
 * and long parts there. ipaddr.js refuses a `::` that stands for no group at all (RFC 4291:
 * one or more), which the hand-written parser before it read; the URL parser refuses such a
 * host, so only a resolver could give one, and it is now refused as unparseable.
 */
function parseIPv6(text: string): ipaddr.IPv6 | undefined {
  let h = text.replace(/^\[|\]$/g, "").split("%")[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (dotted) {
    const v4 = parseIPv4(dotted[1]);
    if (!v4) return undefined;
    const [a, b, c, d] = v4.octets;
    h = `${h.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  if (h.includes(".")) return undefined; // a dotted part elsewhere, or not a 4-part decimal one
  try {
    return ipaddr.IPv6.parse(h);
  } catch {
    return undefined;
  }
}

/** Prefixes the IPv6 policy names itself (ipaddr.js's ranges do not draw these lines). */
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");
/** IETF protocol assignments: refused whole, though ipaddr.js names parts of it (AMT, ORCHIDv2...). */
const IETF_PROTOCOL_ASSIGNMENTS = ipaddr.IPv6.parseCIDR("2001::/23");
/** NAT64's well-known prefix (ipaddr.js's `rfc6052` also holds the local-use 64:ff9b:1::/48). */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR("64:ff9b::/96");

/**
 * The IPv6 ranges inside global unicast (ipaddr.js's names) that are globally reachable,
 * outside 2001::/23 and 6to4: everything else there (`reserved`: documentation 2001:db8::/32
 * and 3fff::/20) is refused, as is a range a later ipaddr.js names until it is listed here.
 */
const GLOBAL_IPV6_RANGES: ReadonlySet<string> = new Set(["unicast", "as112v6"]);

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
  const a = parseIPv6(address);
  if (!a) return true;
  const g = a.parts;
  const embedded = (hi: number, lo: number) => isPrivateIPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  const range = a.range();
  if (range === "ipv4Mapped") return refusesIPv4(a.toIPv4Address());
  if (a.match(NAT64_WELL_KNOWN)) return embedded(g[6], g[7]);
  if (!a.match(GLOBAL_UNICAST)) return true;
  if (a.match(IETF_PROTOCOL_ASSIGNMENTS)) return true;
  if (range === "6to4") return embedded(g[1], g[2]);
  return !GLOBAL_IPV6_RANGES.has(range);
}
