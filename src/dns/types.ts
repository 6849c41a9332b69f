/**
 * The resolver's vocabulary: record types it decodes, the shape of each record, and the result of
 * a lookup. A lookup never throws: it answers records, NXDOMAIN, NODATA, a name that cannot be
 * asked, or a temporary error (the `temperror` of RFC 7208 §2.6.6 and RFC 7489 §6.6.3).
 */

/** `host[:port]` of a recursive resolver; `host` is an IP address (a name would need DNS itself). */
export interface DnsServer {
  host: string;
  port: number;
}

export interface MxRecord {
  /** Lower-case, without the trailing dot; "." for the null MX of RFC 7505. */
  exchange: string;
  preference: number;
}

/** RFC 6698 §2.1. */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Uint8Array;
}

/** RFC 2782. */
export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** What a record of each type decodes to. TXT: the record's strings joined (RFC 7208 §3.3). */
export interface RecordData {
  A: string;
  AAAA: string;
  MX: MxRecord;
  TXT: string;
  PTR: string;
  CNAME: string;
  NS: string;
  SRV: SrvRecord;
  TLSA: TlsaRecord;
}

export type RecordType = keyof RecordData;

export const RECORD_TYPES: readonly RecordType[] = [
  "A",
  "AAAA",
  "MX",
  "TXT",
  "PTR",
  "CNAME",
  "NS",
  "SRV",
  "TLSA",
];

/** Why a lookup failed for now; the same question may be answered later. */
export type TempCause =
  /** No server answered in time (RFC 1035 §4.2.1). */
  | "timeout"
  /** RCODE 2: the server could not answer (e.g. the authority is unreachable, DNSSEC bogus). */
  | "servfail"
  /** RCODE 5: the server will not answer us. */
  | "refused"
  /** An answer that does not parse, or an RCODE we cannot act on (FORMERR, NOTIMP, ...). */
  | "malformed"
  /** The socket failed (port unreachable, network down). */
  | "network"
  /** Too many lookups waiting already (DNS_LIMITS.maxWaiting). */
  | "overload"
  /** The resolver was closed (shutting down). */
  | "closed";

export type DnsResult<T> =
  /**
   * The records, with the smallest TTL of the answer (seconds left, when it came from the cache).
   * `authenticated`: the AD bit of the answer (RFC 4035 §3.2.3): the recursive resolver validated it
   * with DNSSEC. Only worth anything if the path to that resolver is trusted (loopback), RFC 6698 §4.
   */
  | { kind: "ok"; records: readonly T[]; ttl: number; authenticated: boolean }
  /** RCODE 3: the name does not exist (RFC 8020: nor anything below it). */
  | { kind: "nxdomain"; ttl: number; authenticated: boolean }
  /** The name exists but has no records of this type (RFC 2308 §2.2). */
  | { kind: "nodata"; ttl: number; authenticated: boolean }
  /** The name cannot be put in a query (empty label, label over 63 octets, ...). Permanent. */
  | { kind: "badname"; detail: string }
  | { kind: "temperror"; cause: TempCause; detail: string };

export interface LookupOptions {
  /** Set the DO bit (RFC 3225) so that the answer carries RRSIGs; the AD bit is asked for always. */
  dnssec?: boolean;
}
