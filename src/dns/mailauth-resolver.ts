/**
 * Our resolver in the shape mailauth (SPF, DKIM, DMARC, ARC) expects of a custom resolver: the
 * `dns.promises.resolve(name, rrtype)` of node:dns, with its result shapes and its error codes.
 * mailauth reads the codes to tell "no such record" (ENOTFOUND, ENODATA: SPF "none", a void lookup
 * of RFC 7208 §4.6.4) from "could not find out" (ETIMEOUT, ESERVFAIL, ...: temperror), so each of
 * our typed results maps onto exactly one code.
 */
import type { DnsResolver } from "./resolver.ts";
import type { DnsResult, RecordType, TempCause } from "./types.ts";

/** node:dns error codes (the c-ares names node uses) for each temporary cause. */
const TEMP_CODES: Record<TempCause, string> = {
  timeout: "ETIMEOUT",
  servfail: "ESERVFAIL",
  refused: "EREFUSED",
  malformed: "EBADRESP",
  network: "ECONNREFUSED",
  overload: "ETIMEOUT",
  closed: "ECANCELLED",
};

/** The types mailauth asks for (SPF a/mx/ptr/exists, DKIM and DMARC TXT, the DMARC tree walk's CNAME). */
const SUPPORTED: ReadonlySet<string> = new Set<RecordType>(["A", "AAAA", "MX", "TXT", "PTR", "CNAME", "NS"]);

export type NodeStyleResolver = (name: string, rrtype: string) => Promise<unknown>;

function dnsError(code: string, name: string, rrtype: string, detail?: string): Error {
  // node:dns's message format: "queryTxt ENOTFOUND example.org".
  const error = new Error(`query${rrtype} ${code} ${name}${detail ? ` (${detail})` : ""}`);
  return Object.assign(error, { code, hostname: name, syscall: `query${rrtype}` });
}

export function mailauthResolver(dns: DnsResolver): NodeStyleResolver {
  return async (name, rrtype) => {
    const type = String(rrtype).toUpperCase();
    if (!SUPPORTED.has(type)) throw dnsError("ENOTIMP", name, type, "type not supported");
    const result = (await dns.resolve(name, type as RecordType)) as DnsResult<unknown>;
    switch (result.kind) {
      case "ok":
        return nodeShape(type, result.records);
      case "nxdomain":
        return Promise.reject(dnsError("ENOTFOUND", name, type));
      case "nodata":
        return Promise.reject(dnsError("ENODATA", name, type));
      case "badname":
        return Promise.reject(dnsError("EBADNAME", name, type, result.detail));
      case "temperror":
        return Promise.reject(dnsError(TEMP_CODES[result.cause], name, type, result.detail));
    }
  };
}

/** node:dns result shapes: TXT as lists of strings, MX with `priority`, the null MX's exchange as "". */
function nodeShape(type: string, records: readonly unknown[]): unknown {
  if (type === "TXT") return records.map((text) => [text as string]);
  if (type === "MX")
    return (records as Array<{ exchange: string; preference: number }>).map((r) => ({
      exchange: r.exchange === "." ? "" : r.exchange,
      priority: r.preference,
    }));
  return [...records];
}
