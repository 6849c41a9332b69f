/**
 * Where mail for a domain goes: a static route (MAILROOM_ROUTES) when one matches, otherwise DNS —
 * MX records in preference order (RFC 5321 §5.1), the domain's own A/AAAA when it has no MX, and
 * nowhere at all for a null MX (RFC 7505). Pure apart from the resolver, which tests replace.
 */
import { Resolver as DnsResolver } from "node:dns/promises";
import type { Route } from "../../config.ts";

export interface DeliveryHost {
  host: string;
  port: number;
}

/** The part of node:dns/promises that routing needs (injectable for tests). */
export interface MxResolver {
  resolveMx(domain: string): Promise<Array<{ exchange: string; priority: number }>>;
  resolve4(domain: string): Promise<string[]>;
  resolve6(domain: string): Promise<string[]>;
}

export type RouteResult =
  | { kind: "hosts"; hosts: DeliveryHost[]; via: "route" | "mx" | "address" }
  /** No host will ever take this mail: bounce now with `status`. */
  | { kind: "permanent"; status: string; diagnostic: string }
  /** DNS did not answer (SERVFAIL, timeout): try again later. */
  | { kind: "temporary"; status: string; diagnostic: string };

const SMTP_PORT = 25;

/** Errors by which DNS says "this name has no such records" rather than "I could not find out". */
const NO_DATA = new Set(["ENODATA", "ENOTFOUND", "NXDOMAIN"]);

export function systemResolver(): MxResolver {
  const resolver = new DnsResolver({ timeout: 10_000, tries: 2 });
  return resolver;
}

/** The static route for a domain: an exact entry first, then "*". */
export function staticRoute(routes: readonly Route[], domain: string): DeliveryHost | undefined {
  const d = domain.toLowerCase();
  const route = routes.find((r) => r.domain === d) ?? routes.find((r) => r.domain === "*");
  return route ? { host: route.host, port: route.port } : undefined;
}

/** RFC 7505 §3: the null MX is a single record whose exchange is the root ("." — "" once parsed). */
function isNullMx(exchange: string): boolean {
  return exchange === "" || exchange === ".";
}

/**
 * RFC 5321 §5.1: lower preference first; hosts of equal preference in random order so that load
 * spreads. `random` is injectable so tests can pin the order.
 */
export function orderMx(
  records: ReadonlyArray<{ exchange: string; priority: number }>,
  random: () => number = Math.random,
): string[] {
  const keyed = records.map((r) => ({ r, k: random() }));
  keyed.sort((a, b) => a.r.priority - b.r.priority || a.k - b.k);
  const hosts: string[] = [];
  for (const { r } of keyed) {
    const host = r.exchange.replace(/\.$/, "").toLowerCase();
    if (!isNullMx(r.exchange) && !hosts.includes(host)) hosts.push(host);
  }
  return hosts;
}

function errorCode(error: unknown): string {
  return String((error as { code?: unknown })?.code ?? "");
}

/** Resolves where to deliver mail for `domain`. */
export async function routeResolve(
  domain: string,
  options: { routes: readonly Route[]; resolver: MxResolver; random?: () => number },
): Promise<RouteResult> {
  const fixed = staticRoute(options.routes, domain);
  if (fixed) return { kind: "hosts", hosts: [fixed], via: "route" };

  // An address literal (user@[192.0.2.1]) names the host itself (RFC 5321 §4.1.3).
  const literal = /^\[(?:ipv6:)?([0-9a-f:.]+)\]$/i.exec(domain);
  if (literal) return { kind: "hosts", hosts: [{ host: literal[1]!, port: SMTP_PORT }], via: "address" };

  let records: Array<{ exchange: string; priority: number }>;
  try {
    records = await options.resolver.resolveMx(domain);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOTFOUND" || code === "NXDOMAIN")
      return { kind: "permanent", status: "5.1.2", diagnostic: `domain ${domain} does not exist` };
    if (!NO_DATA.has(code))
      return { kind: "temporary", status: "4.4.3", diagnostic: `MX lookup for ${domain} failed (${code})` };
    records = [];
  }

  // RFC 7505 §4.1: a null MX means the domain accepts no mail; fail at once, don't fall back to A.
  if (records.length === 1 && isNullMx(records[0]!.exchange))
    return { kind: "permanent", status: "5.1.10", diagnostic: `domain ${domain} accepts no mail (null MX)` };

  const hosts = orderMx(records, options.random);
  if (hosts.length > 0)
    return { kind: "hosts", hosts: hosts.map((host) => ({ host, port: SMTP_PORT })), via: "mx" };

  // RFC 5321 §5.1: no MX at all -> the domain itself is the host, if it has an address.
  const [v4, v6] = await Promise.allSettled([
    options.resolver.resolve4(domain),
    options.resolver.resolve6(domain),
  ]);
  const found = [v4, v6].some((r) => r.status === "fulfilled" && r.value.length > 0);
  if (found) return { kind: "hosts", hosts: [{ host: domain, port: SMTP_PORT }], via: "address" };
  const failed = [v4, v6].find((r) => r.status === "rejected" && !NO_DATA.has(errorCode(r.reason)));
  if (failed)
    return { kind: "temporary", status: "4.4.3", diagnostic: `address lookup for ${domain} failed` };
  return { kind: "permanent", status: "5.1.2", diagnostic: `domain ${domain} has no MX and no address` };
}
