/**
 * Where a webhook may be sent (issue 16): not to a private, loopback, link-local or otherwise
 * internal address unless MAILROOM_WEBHOOKS_ALLOW_PRIVATE=true — a webhook URL is chosen by whoever
 * holds the admin token, and must not turn the server into a probe of its own network (SSRF).
 *
 * The host name is resolved and every address it has is checked, at creation and again before each
 * attempt; the attempt then connects to the address that was checked (sender.ts), so a DNS answer
 * that changes in between (DNS rebinding) cannot redirect it.
 */
import { BlockList, isIP } from "node:net";
import type { DnsResult } from "../dns/types.ts";

export interface AddressResolver {
  a(name: string): Promise<DnsResult<string>>;
  aaaa(name: string): Promise<DnsResult<string>>;
}

/**
 * RFC 6890 special-purpose ranges that are not the public Internet, and multicast. Two lists: a
 * BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules, so one list would mix them up.
 */
const INTERNAL_V4 = new BlockList();
const INTERNAL_V6 = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], // "this network", RFC 791
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // shared address space (CGN), RFC 6598
  ["127.0.0.0", 8], // loopback, RFC 1122
  ["169.254.0.0", 16], // link-local, RFC 3927 (also cloud metadata services)
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments, RFC 6890
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking, RFC 2544
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
] as const)
  INTERNAL_V4.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback, RFC 4291
  ["64:ff9b:1::", 48], // local-use NAT64, RFC 8215
  ["fc00::", 7], // unique local, RFC 4193
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const)
  INTERNAL_V6.addSubnet(net, bits, "ipv6");

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return INTERNAL_V4.check(address, "ipv4");
  if (family === 6) {
    // IPv4-mapped (::ffff:a.b.c.d, also written in hex by URL parsers): judged as the IPv4 address.
    const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
    if (mapped) {
      const v4 = mapped[1] ?? hexToIpv4(mapped[2]!, mapped[3]!);
      return INTERNAL_V4.check(v4, "ipv4");
    }
    return INTERNAL_V6.check(address, "ipv6");
  }
  return true;
}

function hexToIpv4(high: string, low: string): string {
  const h = Number.parseInt(high, 16);
  const l = Number.parseInt(low, 16);
  return `${h >> 8}.${h & 255}.${l >> 8}.${l & 255}`;
}

export type Target = { ok: true; url: URL; address: string; family: 4 | 6 } | { ok: false; reason: string };

/**
 * Checks a webhook URL and picks the address to connect to. `allowPrivate` lets internal addresses
 * through (tests, a receiver on the same host).
 */
export async function webhookTarget(
  text: string,
  options: { resolver: AddressResolver; allowPrivate: boolean },
): Promise<Target> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: "is not a URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return { ok: false, reason: "must be http or https" };
  if (url.username || url.password) return { ok: false, reason: "must not carry credentials" };
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = await addressesOf(host, options.resolver);
  if (typeof addresses === "string") return { ok: false, reason: addresses };
  if (!options.allowPrivate) {
    const internal = addresses.find(isInternalAddress);
    if (internal)
      return {
        ok: false,
        reason: `resolves to ${internal}, a private or loopback address (set MAILROOM_WEBHOOKS_ALLOW_PRIVATE=true to allow)`,
      };
  }
  const address = addresses[0]!;
  return { ok: true, url, address, family: isIP(address) === 6 ? 6 : 4 };
}

async function addressesOf(host: string, resolver: AddressResolver): Promise<string[] | string> {
  if (isIP(host)) return [host];
  // RFC 6761 §6.3: "localhost" names are loopback, whatever a resolver says.
  const lower = host.toLowerCase();
  if (lower === "localhost" || lower.endsWith(".localhost")) return ["127.0.0.1"];
  const [a, aaaa] = await Promise.all([resolver.a(host), resolver.aaaa(host)]);
  const found = [...(a.kind === "ok" ? a.records : []), ...(aaaa.kind === "ok" ? aaaa.records : [])];
  if (found.length > 0) return found;
  return `host ${host} does not resolve (${a.kind})`;
}
