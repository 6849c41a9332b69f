/**
 * Which names the one ACME certificate covers: the host name (MX, IMAP, POP3, submission and the
 * SRV targets all point there) and, for every local domain, mta-sts.<domain> (RFC 8461 §3.3: the
 * policy host must present a valid certificate) and autoconfig.<domain> (Thunderbird's autoconfig
 * host). IDNs as A-labels; IP literals cannot be in a DNS identifier (RFC 8555 §7.1.4) and are left out.
 */
import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { ACME_LIMITS } from "./limits.ts";

export interface WantedNames {
  names: string[];
  /** Names beyond ACME_LIMITS.maxNames, not requested. */
  dropped: string[];
}

export function certificateNames(hostname: string, domains: readonly string[]): WantedNames {
  const all: string[] = [];
  const add = (name: string) => {
    const ascii = (domainToASCII(name) || name).toLowerCase().replace(/\.$/, "");
    if (ascii && !isIP(ascii) && ascii.includes(".") && !all.includes(ascii)) all.push(ascii);
  };
  add(hostname);
  for (const domain of domains) {
    add(`mta-sts.${domain}`);
    add(`autoconfig.${domain}`);
  }
  return { names: all.slice(0, ACME_LIMITS.maxNames), dropped: all.slice(ACME_LIMITS.maxNames) };
}

/** Whether two name lists hold the same names, whatever their order. */
export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((name) => set.has(name));
}
