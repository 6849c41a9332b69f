/**
 * Forward-confirmed reverse DNS (FCrDNS, "iprev" of RFC 8601 §3): the client address's PTR names,
 * each looked up forward (A or AAAA); confirmed when one of them leads back to the address. Big
 * mail providers ask this of senders (a host without it looks like a dynamic or hijacked address);
 * here it only adds to the score.
 */
import { isIPv6 } from "node:net";
import type { DnsResolver } from "../dns/mod.ts";
import { ipBytes } from "../security/ip-address.ts";
import { SPAM_LIMITS } from "./limits.ts";

export type ReverseDns =
  /** A PTR name whose A/AAAA records include the address. */
  | { kind: "confirmed"; name: string }
  /** PTR names, none of which leads back (RFC 8601 §3 iprev "fail"). */
  | { kind: "mismatch"; names: string[] }
  /** No PTR record at all. */
  | { kind: "none" }
  /** The lookups failed for now: says nothing either way. */
  | { kind: "temperror" };

function sameAddress(a: string, b: string): boolean {
  const x = ipBytes(a);
  const y = ipBytes(b);
  return x !== undefined && y !== undefined && x.length === y.length && x.every((v, i) => v === y[i]);
}

export async function reverseDns(resolver: DnsResolver, address: string): Promise<ReverseDns> {
  const ptr = await resolver.ptr(address);
  if (ptr.kind === "temperror") return { kind: "temperror" };
  if (ptr.kind !== "ok" || ptr.records.length === 0) return { kind: "none" };
  const names = [...new Set(ptr.records.map((n) => n.toLowerCase().replace(/\.$/, "")))].slice(
    0,
    SPAM_LIMITS.maxPtrNames,
  );
  const v6 = isIPv6(address) && ipBytes(address)?.length === 16;
  let failed = false;
  for (const name of names) {
    const forward = v6 ? await resolver.aaaa(name) : await resolver.a(name);
    if (forward.kind === "temperror") failed = true;
    if (forward.kind === "ok" && forward.records.some((r) => sameAddress(r, address)))
      return { kind: "confirmed", name };
  }
  return failed ? { kind: "temperror" } : { kind: "mismatch", names };
}
