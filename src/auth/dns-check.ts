/**
 * What DNS serves now, compared with the records a domain should publish (dns-records.ts), through
 * the shared resolver. Per record: "ok" (served as expected), "missing" (nothing of the kind at the
 * name), "different" (something of the kind, but not this), "unknown" (the lookup failed for now:
 * a temperror, with its detail) or "unchecked" (the MTA-STS policy file: HTTPS, not DNS).
 *
 * "Of the kind" for TXT means the same version tag (v=spf1, v=DKIM1, v=DMARC1, ...): an unrelated
 * TXT record at the domain (a site verification) does not make SPF "different".
 */
import type { DnsResolver, DnsResult, RecordType } from "../dns/mod.ts";
import type { DnsRecordItem } from "./dns-records.ts";

export type RecordStatus = "ok" | "missing" | "different" | "unknown" | "unchecked";

export interface CheckedRecord extends DnsRecordItem {
  status: RecordStatus;
  /** What DNS served of the kind, in the same notation as `value`. */
  found: string[];
  /** Why the status is "unknown". */
  error?: string;
}

type Lookup = Pick<DnsResolver, "resolve">;

/** Checks every record; lookups run concurrently (the resolver bounds and shares them). */
export function dnsRecordsCheck(resolver: Lookup, items: readonly DnsRecordItem[]): Promise<CheckedRecord[]> {
  return Promise.all(items.map((item) => checkOne(resolver, item)));
}

async function checkOne(resolver: Lookup, item: DnsRecordItem): Promise<CheckedRecord> {
  if (item.type === "FILE") return { ...item, status: "unchecked", found: [] };
  const result = (await resolver.resolve(item.name, item.type as RecordType)) as DnsResult<unknown>;
  if (result.kind === "temperror") return { ...item, status: "unknown", found: [], error: result.detail };
  if (result.kind === "badname") return { ...item, status: "unknown", found: [], error: result.detail };
  if (result.kind !== "ok") return { ...item, status: "missing", found: [] };
  const found = result.records.map((r) => recordText(item.type, r)).filter((t) => sameKind(item, t));
  if (found.length === 0) return { ...item, status: "missing", found: [] };
  const ok = found.some((f) => matches(item, f));
  return { ...item, status: ok ? "ok" : "different", found };
}

/** A record in the notation of DnsRecordItem.value (names without the trailing dot). */
function recordText(type: DnsRecordItem["type"], record: unknown): string {
  const r = record as Record<string, unknown>;
  switch (type) {
    case "MX":
      return `${r.preference} ${r.exchange}`;
    case "SRV":
      return `${r.priority} ${r.weight} ${r.port} ${r.target === "" ? "." : r.target}`;
    default:
      return String(record);
  }
}

/** The v= tag of a TXT record, lower-case ("v=spf1", "v=dkim1"), or "" when it has none. */
function versionTag(text: string): string {
  const m = /^\s*v\s*=\s*([^;\s]+)/i.exec(text);
  return m ? `v=${m[1]!.toLowerCase()}` : "";
}

function sameKind(item: DnsRecordItem, found: string): boolean {
  if (item.type !== "TXT") return true;
  const expected = versionTag(item.value);
  // RFC 6376 §3.6.1: v= is optional in a key record; a record with p= is a key record all the same.
  if (expected === "v=dkim1") return versionTag(found) === expected || /(^|;)\s*p\s*=/.test(found);
  return versionTag(found) === expected;
}

/** Tag-value lists (RFC 6376 §3.2) as a map: tag names lower-case, white space out of the values. */
function tags(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    map.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ""));
  }
  return map;
}

function matches(item: DnsRecordItem, found: string): boolean {
  const norm = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();
  switch (item.type) {
    case "MX":
    case "CNAME":
    case "A":
    case "AAAA": {
      // The preference of an MX is ours to suggest; the host is what matters.
      const last = (s: string) => norm(s).split(" ").at(-1)!.replace(/\.$/, "");
      return last(item.value) === last(found);
    }
    case "SRV": {
      const [, , port, target] = norm(item.value).split(" ");
      const [, , fport, ftarget] = norm(found).split(" ");
      return port === fport && target?.replace(/\.$/, "") === ftarget?.replace(/\.$/, "");
    }
    case "TXT": {
      if (versionTag(item.value) === "v=spf1") return norm(item.value) === norm(found);
      const want = tags(item.value);
      const got = tags(found);
      if (versionTag(item.value) === "v=dkim1") {
        // The key is what matters; k= defaults to rsa (RFC 6376 §3.6.1).
        return want.get("p") === got.get("p") && want.get("k") === (got.get("k") ?? "rsa").toLowerCase();
      }
      if (want.size !== got.size) return false;
      for (const [k, v] of want) if (got.get(k)?.toLowerCase() !== v.toLowerCase()) return false;
      return true;
    }
    default:
      return false;
  }
}
