/** Resolving a client-chosen host name so the URL policy can check where it leads. */

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
