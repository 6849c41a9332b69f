/**
 * DNS lists (RFC 5782): DNSBL and DNSWL lookups of the client address, RHSBL lookups of a domain.
 * A listing is an A record in 127.0.0.0/8 (RFC 5782 §2.1, §2.3). Everything else is not a listing:
 * an answer outside 127/8 (some lists answer that way when they refuse a resolver, or a hijacking
 * resolver answers it for every name), and the return codes lists document as errors rather than
 * listings. Those are logged, so a list that stopped answering us is noticed, but never block mail.
 */
import type { ListZone } from "../config.ts";
import type { DnsResolver } from "../dns/mod.ts";
import { reverseName } from "../dns/mod.ts";
import type { Logger } from "../log.ts";

export interface ListResult {
  zone: string;
  weight: number;
  listed: boolean;
  /** The 127/8 answers that made the listing (e.g. "127.0.0.2"). */
  codes: string[];
}

/**
 * Return codes that are errors, not listings:
 * - 127.0.0.1: RFC 5782 §5 says it must never be listed (it is the "not listed" test point), and
 *   SURBL/URIBL answer it to say "your queries are blocked".
 * - 127.0.0.255: dnswl.org's "query refused" (too many queries, or a public resolver).
 * - 127.255.255.0/24: Spamhaus's error codes: .252 typo in the list name, .254 query through a
 *   public or unattributable resolver, .255 excessive number of queries.
 */
export function isErrorCode(address: string): boolean {
  return address === "127.0.0.1" || address === "127.0.0.255" || address.startsWith("127.255.255.");
}

function inLoopbackNet(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** The name asked of `zone` for an IP address: RFC 5782 §2.1 (IPv4 octets) and §2.4 (IPv6 nibbles) reversed. */
export function addressQueryName(address: string, zone: string): string | undefined {
  const reverse = reverseName(address);
  if (!reverse) return undefined;
  return `${reverse.replace(/\.(in-addr|ip6)\.arpa$/, "")}.${zone}`;
}

/** Classifies one list's answer; answers outside 127/8 and error codes are logged and not listings. */
async function ask(
  resolver: DnsResolver,
  log: Logger,
  zone: ListZone,
  name: string,
  about: string,
): Promise<ListResult> {
  const result: ListResult = { zone: zone.zone, weight: zone.weight, listed: false, codes: [] };
  const answer = await resolver.a(name);
  if (answer.kind === "temperror") {
    log.info("spam.dnsbl_unavailable", { zone: zone.zone, about, cause: answer.cause });
    return result;
  }
  if (answer.kind !== "ok") return result;
  const ignored: string[] = [];
  for (const address of answer.records) {
    if (inLoopbackNet(address) && !isErrorCode(address)) result.codes.push(address);
    else ignored.push(address);
  }
  if (ignored.length > 0)
    log.warn("spam.dnsbl_bad_answer", {
      zone: zone.zone,
      about,
      answers: ignored,
      detail:
        "not a listing: outside 127.0.0.0/8 or a documented error code (the list may refuse our resolver)",
    });
  result.listed = result.codes.length > 0;
  return result;
}

/** Every DNSBL/DNSWL zone asked about one client address, in parallel. */
export function addressListings(
  resolver: DnsResolver,
  log: Logger,
  zones: readonly ListZone[],
  address: string,
): Promise<ListResult[]> {
  return Promise.all(
    zones.map((zone) => {
      const name = addressQueryName(address, zone.zone);
      if (!name) return { zone: zone.zone, weight: zone.weight, listed: false, codes: [] };
      return ask(resolver, log, zone, name, address);
    }),
  );
}

/** Every RHSBL zone asked about one domain (RFC 5782 §2.2: the domain name prepended to the zone). */
export function domainListings(
  resolver: DnsResolver,
  log: Logger,
  zones: readonly ListZone[],
  domain: string,
): Promise<ListResult[]> {
  const name = domain.toLowerCase().replace(/\.$/, "");
  // Not a domain name (an address literal, a bare word): nothing to ask.
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/.test(name) || /^[\d.]+$/.test(name))
    return Promise.resolve(zones.map((z) => ({ zone: z.zone, weight: z.weight, listed: false, codes: [] })));
  return Promise.all(zones.map((zone) => ask(resolver, log, zone, `${name}.${zone.zone}`, name)));
}
