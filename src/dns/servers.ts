/**
 * Which recursive resolvers to ask: MAILROOM_DNS_SERVERS ("127.0.0.1,[::1]:5353"), or the system's
 * (the nameserver lines of /etc/resolv.conf, else whatever node:dns was configured with).
 */
import { getServers } from "node:dns";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { DnsServer } from "./types.ts";

const DNS_PORT = 53;

/** resolv(5): at most this many nameserver lines are used (MAXNS). */
const MAX_SYSTEM_SERVERS = 3;

/** Canonical text of an address, so that a reply's source can be compared with it ("0::1" -> "::1"). */
function canonicalHost(host: string): string {
  if (isIP(host) !== 6 || host.includes("%")) return host;
  return new URL(`http://[${host}]/`).hostname.slice(1, -1);
}

/** One `host[:port]` entry: an IPv4 address, a bare IPv6 address, or `[IPv6]:port`. */
export function parseDnsServer(entry: string): DnsServer {
  const text = entry.trim();
  let host = text;
  let port = DNS_PORT;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  const v4WithPort = /^([0-9.]+):(\d{1,5})$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (v4WithPort) {
    host = v4WithPort[1]!;
    port = Number(v4WithPort[2]);
  }
  if (isIP(host.replace(/%.*$/, "")) === 0)
    throw new Error(`bad DNS server "${text}" (expected an IP address, host[:port], [IPv6]:port)`);
  if (port < 1 || port > 65535) throw new Error(`bad port in DNS server "${text}"`);
  return { host: canonicalHost(host), port };
}

/** "127.0.0.1:5353,[::1]:53" -> servers; "" -> [] (meaning: the system's). Throws a readable message. */
export function parseDnsServers(text: string): DnsServer[] {
  if (text.trim() === "") return [];
  return text.split(",").map(parseDnsServer);
}

/** The nameserver lines of a resolv.conf text (resolv.conf(5)), in order, at most three. */
export function parseResolvConf(text: string): DnsServer[] {
  const servers: DnsServer[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    try {
      servers.push(parseDnsServer(m[1]!));
    } catch {
      // resolv.conf may hold lines for other resolvers' syntax; skip what we cannot use.
    }
    if (servers.length === MAX_SYSTEM_SERVERS) break;
  }
  return servers;
}

/** The system's resolvers: /etc/resolv.conf, else node:dns's list, else none. */
export function systemDnsServers(path = "/etc/resolv.conf"): DnsServer[] {
  try {
    const servers = parseResolvConf(readFileSync(path, "utf8"));
    if (servers.length > 0) return servers;
  } catch {
    // No resolv.conf (containers, other systems): fall back below.
  }
  try {
    return getServers().flatMap((s) => {
      try {
        return [parseDnsServer(s)];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}
