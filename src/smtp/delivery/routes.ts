/**
 * Where mail for a domain goes: a static route (MAILROOM_ROUTES) when one matches, otherwise DNS —
 * MX records in preference order (RFC 5321 §5.1), each MX host's addresses, the domain's own A/AAAA
 * when it has no MX, and nowhere at all for a null MX (RFC 7505). Every lookup goes through the
 * shared resolver (src/dns/), whose typed results keep "no such domain" (bounce) apart from "DNS did
 * not answer" (try again later).
 */
import { isIP } from "node:net";
import type { Route } from "../../config.ts";
import type { DnsResolver, DnsResult, MxRecord } from "../../dns/mod.ts";
import { QUEUE_LIMITS } from "../queue/limits.ts";

export interface DeliveryHost {
  /** The host's name (the MX exchange, the TLS server name) or an address literal. */
  host: string;
  port: number;
  /**
   * The host's addresses, as DNS gave them, to connect to in order. Absent for a static route or an
   * address literal: then `host` is what to connect to.
   */
  addresses?: string[];
  /**
   * Whether DNSSEC vouched for the way here (RFC 7672 §2.2): the MX answer (when there was one) and
   * the host's address answers all came with the AD bit. Only then are its TLSA records looked up.
   */
  dnssec?: boolean;
  /** The static route this host came from (smarthost TLS mode and credentials). */
  route?: Route;
}

/** The part of the resolver that routing needs. */
export type MxResolver = Pick<DnsResolver, "mx" | "a" | "aaaa">;

export type RouteResult =
  | { kind: "hosts"; hosts: DeliveryHost[]; via: "route" | "mx" | "address" }
  /** No host will ever take this mail: bounce now with `status`. */
  | { kind: "permanent"; status: string; diagnostic: string }
  /** DNS did not answer (SERVFAIL, timeout): try again later. */
  | { kind: "temporary"; status: string; diagnostic: string };

const DEFAULT_SMTP_PORT = 25;

/** The static route for a domain: an exact entry first, then "*". */
export function staticRoute(routes: readonly Route[], domain: string): DeliveryHost | undefined {
  const d = domain.toLowerCase();
  const route = routes.find((r) => r.domain === d) ?? routes.find((r) => r.domain === "*");
  return route ? { host: route.host, port: route.port, route } : undefined;
}

/** RFC 7505 §3: the null MX is a single record whose exchange is the root ("."). */
function isNullMx(exchange: string): boolean {
  return exchange === "" || exchange === ".";
}

/**
 * RFC 5321 §5.1: lower preference first; hosts of equal preference in random order so that load
 * spreads. `random` is injectable so tests can pin the order.
 */
export function orderMx(records: readonly MxRecord[], random: () => number = Math.random): string[] {
  const keyed = records.map((r) => ({ r, k: random() }));
  keyed.sort((a, b) => a.r.preference - b.r.preference || a.k - b.k);
  const hosts: string[] = [];
  for (const { r } of keyed) {
    const host = r.exchange.replace(/\.$/, "").toLowerCase();
    if (!isNullMx(r.exchange) && !hosts.includes(host)) hosts.push(host);
  }
  return hosts;
}

function describe(result: DnsResult<unknown>): string {
  return result.kind === "temperror" ? `${result.cause}: ${result.detail}` : result.kind;
}

/** A host's IPv4 and IPv6 addresses; `failed` when neither lookup could answer for lack of DNS. */
async function hostAddresses(
  resolver: MxResolver,
  host: string,
): Promise<{ addresses: string[]; failed?: string; authenticated: boolean }> {
  const [v4, v6] = await Promise.all([resolver.a(host), resolver.aaaa(host)]);
  const addresses = [v4, v6].flatMap((r) => (r.kind === "ok" ? r.records : []));
  const failed = [v4, v6].find((r) => r.kind === "temperror");
  // RFC 7672 §2.2.2: both answers (records or a denial) must be secure.
  const authenticated = [v4, v6].every((r) => "authenticated" in r && r.authenticated);
  return failed && addresses.length === 0
    ? { addresses, failed: describe(failed), authenticated: false }
    : { addresses: addresses.slice(0, QUEUE_LIMITS.maxAddressesPerHost), authenticated };
}

/** Resolves where to deliver mail for `domain`. */
export async function routeResolve(
  domain: string,
  options: {
    routes: readonly Route[];
    resolver: MxResolver;
    random?: () => number;
    /** The port of MX hosts: 25 (RFC 5321 §4.5.4); tests, which cannot bind 25, give theirs. */
    mxPort?: number;
  },
): Promise<RouteResult> {
  const SMTP_PORT = options.mxPort ?? DEFAULT_SMTP_PORT;
  const fixed = staticRoute(options.routes, domain);
  if (fixed) {
    // A route's host name is resolved through our resolver too, never the system's.
    if (isIP(fixed.host)) return { kind: "hosts", hosts: [fixed], via: "route" };
    const found = await hostAddresses(options.resolver, fixed.host);
    if (found.addresses.length > 0)
      return { kind: "hosts", hosts: [{ ...fixed, addresses: found.addresses }], via: "route" };
    return {
      kind: "temporary",
      status: "4.4.3",
      diagnostic: `address lookup for the route host ${fixed.host} failed (${found.failed ?? "no address"})`,
    };
  }

  // An address literal (user@[192.0.2.1]) names the host itself (RFC 5321 §4.1.3).
  const literal = /^\[(?:ipv6:)?([0-9a-f:.]+)\]$/i.exec(domain);
  if (literal) return { kind: "hosts", hosts: [{ host: literal[1]!, port: SMTP_PORT }], via: "address" };

  const mx = await options.resolver.mx(domain);
  if (mx.kind === "nxdomain" || mx.kind === "badname")
    return { kind: "permanent", status: "5.1.2", diagnostic: `domain ${domain} does not exist` };
  if (mx.kind === "temperror")
    return {
      kind: "temporary",
      status: "4.4.3",
      diagnostic: `MX lookup for ${domain} failed (${describe(mx)})`,
    };
  const records = mx.kind === "ok" ? mx.records : [];

  // RFC 7505 §4.1: a null MX means the domain accepts no mail; fail at once, don't fall back to A.
  if (records.length === 1 && isNullMx(records[0]!.exchange))
    return { kind: "permanent", status: "5.1.10", diagnostic: `domain ${domain} accepts no mail (null MX)` };

  const names = orderMx(records, options.random).slice(0, QUEUE_LIMITS.maxMxHosts);
  if (names.length > 0) {
    // RFC 5321 §5.1: each MX host's addresses; a host without any is skipped.
    const found = await Promise.all(names.map((host) => hostAddresses(options.resolver, host)));
    const hosts = names.flatMap((host, i) =>
      found[i]!.addresses.length > 0
        ? [
            {
              host,
              port: SMTP_PORT,
              addresses: found[i]!.addresses,
              dnssec: mx.kind === "ok" && mx.authenticated && found[i]!.authenticated,
            },
          ]
        : [],
    );
    if (hosts.length > 0) return { kind: "hosts", hosts, via: "mx" };
    const failed = found.find((f) => f.failed);
    if (failed)
      return {
        kind: "temporary",
        status: "4.4.3",
        diagnostic: `address lookup for the MX hosts of ${domain} failed (${failed.failed})`,
      };
    return {
      kind: "permanent",
      status: "5.4.4",
      diagnostic: `no MX host of ${domain} has an address (${names.join(", ")})`,
    };
  }

  // RFC 5321 §5.1: no MX at all -> the domain itself is the host, if it has an address.
  const own = await hostAddresses(options.resolver, domain);
  if (own.addresses.length > 0)
    return {
      kind: "hosts",
      hosts: [
        {
          host: domain,
          port: SMTP_PORT,
          addresses: own.addresses,
          // RFC 7672 §2.2.1: without MX the domain is the host; its NODATA for MX must be secure too.
          dnssec: mx.kind === "nodata" && mx.authenticated && own.authenticated,
        },
      ],
      via: "address",
    };
  if (own.failed)
    return {
      kind: "temporary",
      status: "4.4.3",
      diagnostic: `address lookup for ${domain} failed (${own.failed})`,
    };
  return { kind: "permanent", status: "5.1.2", diagnostic: `domain ${domain} has no MX and no address` };
}
