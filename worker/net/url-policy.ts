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

import { isPrivateIPv4, isPrivateIPv6, parseIPv4 } from "./addresses.ts";
import { dohResolver, type Resolver } from "./resolver.ts";

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
  /^(localhost|.*\.localhost)$/i.test(host) ||
  parseIPv4(host)?.range() === "loopback" ||
  host === "[::1]" ||
  host === "::1";

/** The rules a check runs under: development's looser ones, and how names are resolved. */
export interface UrlPolicy {
  development: boolean;
  resolve?: Resolver;
}

/**
 * The policy of the running deployment: development (`npm start`, the tests) accepts local
 * receivers; anything else is production, resolving names over DNS-over-HTTPS. Typed by the
 * one binding it reads (the Worker's Env has it) so Node tests can import this module.
 */
export const urlPolicy = (env: { ENVIRONMENT: string }): UrlPolicy =>
  env.ENVIRONMENT === "development" ? { development: true } : { development: false, resolve: dohResolver };

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
  const v4 = parseIPv4(host);
  if (v4) {
    if (isPrivateIPv4(v4.octets)) throw new UnsafeUrl(`${field} points at a private or reserved address`);
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
      const a4 = parseIPv4(a);
      if ((a4 && isPrivateIPv4(a4.octets)) || (!a4 && isPrivateIPv6(a))) {
        throw new UnsafeUrl(`${field} resolves to a private address (${a})`);
      }
    }
  }
  return url;
}
