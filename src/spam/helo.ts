/**
 * What the HELO/EHLO name says about a client (RFC 5321 §4.1.1.1: a FQDN, or an address literal
 * when it has none). Most of it only adds to the score: plenty of real servers send a sloppy name.
 * Refused is only the obviously forged: a client claiming to be us, by our host name or by an
 * address literal of our own address (Postfix's "reject_unknown_helo_hostname" is far harsher).
 */
import { ipBytes } from "../security/ip-address.ts";
import type { SpamSymbol } from "./verdict.ts";

export interface HeloFacts {
  helo: string;
  clientAddress: string;
  /** The address the client connected to (ours). */
  localAddress: string;
  /** Our host name (MAILROOM_HOSTNAME). */
  hostname: string;
}

/** "[192.0.2.1]" or "[IPv6:2001:db8::1]" -> the address; undefined for anything else (RFC 5321 §4.1.3). */
export function addressLiteral(helo: string): string | undefined {
  const m = /^\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]$/.exec(helo.trim());
  return m && ipBytes(m[1]!) ? m[1] : undefined;
}

function same(a: string, b: string): boolean {
  const x = ipBytes(a);
  const y = ipBytes(b);
  return x !== undefined && y !== undefined && x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Why the HELO is forged, or undefined: our own name, or our own address from a client that is not us. */
export function forgedHelo(facts: HeloFacts): string | undefined {
  const name = facts.helo.trim().toLowerCase().replace(/\.$/, "");
  if (name === "") return undefined;
  if (name === facts.hostname.toLowerCase()) return "our host name";
  const literal = addressLiteral(name) ?? (ipBytes(name) ? name : undefined);
  if (literal && same(literal, facts.localAddress) && !same(facts.clientAddress, facts.localAddress))
    return "our address";
  return undefined;
}

/** Score signals of a HELO name that is not forged. */
export function heloSymbols(facts: HeloFacts): SpamSymbol[] {
  const name = facts.helo.trim();
  if (name === "") return [{ name: "HELO_MISSING", score: 1 }];
  const literal = addressLiteral(name);
  if (literal) {
    // RFC 5321 §4.1.4: an address literal should be the client's own address.
    return same(literal, facts.clientAddress) ? [] : [{ name: "HELO_IP_MISMATCH", score: 1.5, detail: name }];
  }
  // A bare address without brackets is not a valid HELO argument (RFC 5321 §4.1.1.1).
  if (ipBytes(name)) return [{ name: "HELO_BARE_IP", score: 1.5, detail: name }];
  if (!name.includes(".")) return [{ name: "HELO_NOT_FQDN", score: 1, detail: name }];
  return [];
}
