/**
 * DNS messages as bytes (RFC 1035 §4.1), through dns-packet: the query we send (RD, AD, EDNS0 with
 * the DO bit on request) and what a reply means for our question — matched against it first (RFC
 * 5452 §9.1), then read as records, NXDOMAIN or NODATA (RFC 2308 §2) with the negative TTL of the
 * SOA (RFC 2308 §5), or a reason to ask elsewhere (SERVFAIL, REFUSED, FORMERR...).
 */
import { isIPv4, isIPv6 } from "node:net";
import {
  type Answer,
  AUTHENTIC_DATA,
  type DecodedPacket,
  DNSSEC_OK,
  decode,
  encode,
  RECURSION_DESIRED,
} from "dns-packet";
import { DNS_LIMITS } from "./limits.ts";
import { sameName } from "./names.ts";
import type { DnsResult, RecordData, RecordType, TempCause } from "./types.ts";

/** RFC 1035 §4.1.1 RCODEs (the low four bits of the flags). */
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** RFC 1035 §4.1.1: QR, the bit that makes a message a response; and TC, truncation. */
const QR = 0x8000;
const TC = 0x0200;

export interface Question {
  id: number;
  name: string;
  type: RecordType;
  dnssec: boolean;
  /** Whether to add the EDNS0 OPT record (dropped again for a server that answers FORMERR to it). */
  edns: boolean;
}

/** The query message. */
export function encodeQuery(q: Question): Buffer {
  return encode({
    type: "query",
    id: q.id,
    // RFC 6840 §5.7: AD in a query asks a validating resolver to say whether it validated, even
    // without DO (which would bring the RRSIGs along too).
    flags: RECURSION_DESIRED | AUTHENTIC_DATA,
    questions: [{ type: q.type, class: "IN", name: q.name }],
    additionals: q.edns
      ? [
          {
            type: "OPT",
            name: ".",
            udpPayloadSize: DNS_LIMITS.udpPayloadSize,
            extendedRcode: 0,
            ednsVersion: 0,
            // RFC 3225 §3: DO asks for DNSSEC records.
            flags: q.dnssec ? DNSSEC_OK : 0,
            flag_do: q.dnssec,
            options: [],
          },
        ]
      : [],
  });
}

/** What a datagram or TCP message is, for the question we asked. */
export type Reply =
  /** Not an answer to our question (other ID, other question, not a response): ignore it, keep waiting. */
  | { kind: "foreign" }
  /** Our answer, truncated (RFC 1035 §4.2.1, RFC 7766 §5): ask again over TCP. */
  | { kind: "truncated" }
  /** Carries our ID but does not parse. */
  | { kind: "malformed"; detail: string }
  | { kind: "answer"; packet: DecodedPacket };

/** Reads a reply: ID, QR and the question must match (RFC 5452 §9.1) before anything else counts. */
export function readReply(bytes: Buffer, q: Question): Reply {
  if (bytes.length < 12) return { kind: "foreign" };
  const flags = bytes.readUInt16BE(2);
  if (bytes.readUInt16BE(0) !== q.id || (flags & QR) === 0) return { kind: "foreign" };
  let packet: DecodedPacket;
  try {
    packet = decode(bytes);
  } catch (error) {
    // Truncated messages may be cut anywhere (RFC 2181 §9); TCP will give the whole answer.
    if (flags & TC) return { kind: "truncated" };
    return { kind: "malformed", detail: error instanceof Error ? error.message : String(error) };
  }
  const asked = packet.questions ?? [];
  const question = asked[0];
  if (
    asked.length !== 1 ||
    !question ||
    !sameName(question.name, q.name) ||
    question.type !== q.type ||
    question.class !== "IN"
  )
    return { kind: "foreign" };
  if (packet.flag_tc) return { kind: "truncated" };
  return { kind: "answer", packet };
}

/** An answer we cannot use from this server; another server (or a later try) may do better. */
export interface Retry {
  kind: "retry";
  cause: TempCause;
  detail: string;
  /** FORMERR without an OPT record: a server from before EDNS0 (RFC 6891 §7); ask it again without. */
  withoutEdns?: boolean;
}

/** What an answer says about our question. */
export function interpret<T extends RecordType>(
  packet: DecodedPacket,
  q: Question,
): DnsResult<RecordData[T]> | Retry {
  const rcode = (packet.flags ?? 0) & 0x0f;
  const authenticated = packet.flag_ad;
  if (rcode === RCODE.SERVFAIL) return { kind: "retry", cause: "servfail", detail: "SERVFAIL" };
  if (rcode === RCODE.REFUSED) return { kind: "retry", cause: "refused", detail: "REFUSED" };
  if (rcode === RCODE.FORMERR) {
    const hasOpt = (packet.additionals ?? []).some((a) => a.type === "OPT");
    return { kind: "retry", cause: "malformed", detail: "FORMERR", withoutEdns: q.edns && !hasOpt };
  }
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN)
    return { kind: "retry", cause: "malformed", detail: `RCODE ${rcode}` };

  const answers = (packet.answers ?? []).filter((a) => a.type !== "OPT" && (a.class ?? "IN") === "IN");
  // A recursive resolver answers with the CNAME chain followed by the records of its end (RFC 1034
  // §3.6.2); only records on that chain count, nothing else the answer section may carry.
  let owner = q.name;
  let ttl = Number.POSITIVE_INFINITY;
  if (q.type !== "CNAME") {
    for (let hop = 0; hop <= DNS_LIMITS.maxCnameHops; hop++) {
      const link = answers.find((a) => a.type === "CNAME" && sameName(a.name, owner));
      if (!link) break;
      if (hop === DNS_LIMITS.maxCnameHops)
        return { kind: "retry", cause: "malformed", detail: "CNAME chain too long" };
      owner = String((link as { data?: unknown }).data);
      ttl = Math.min(ttl, ttlOf(link));
    }
  }

  if (rcode === RCODE.NXDOMAIN) return { kind: "nxdomain", ttl: negativeTtl(packet), authenticated };

  const records: RecordData[T][] = [];
  for (const a of answers) {
    if (a.type !== q.type || !sameName(a.name, owner)) continue;
    const value = recordData(a, q.type);
    if (value === undefined) return { kind: "retry", cause: "malformed", detail: `bad ${q.type} record` };
    records.push(value as RecordData[T]);
    ttl = Math.min(ttl, ttlOf(a));
  }
  if (records.length === 0) return { kind: "nodata", ttl: negativeTtl(packet), authenticated };
  return { kind: "ok", records, ttl, authenticated };
}

/** RFC 2181 §8: a TTL with the top bit set is read as zero. */
function ttlOf(a: Answer): number {
  const ttl = "ttl" in a && typeof a.ttl === "number" ? a.ttl : 0;
  return ttl >= 2 ** 31 ? 0 : ttl;
}

/** RFC 2308 §5: min(SOA TTL, SOA MINIMUM) of the authority section; 0 (do not cache) without an SOA. */
function negativeTtl(packet: DecodedPacket): number {
  const soa = (packet.authorities ?? []).find((a) => a.type === "SOA");
  if (soa?.type !== "SOA") return 0;
  return Math.min(ttlOf(soa), soa.data.minimum ?? 0);
}

function hostName(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const name = value.replace(/\.$/, "").toLowerCase();
  return name === "" ? "." : name;
}

const utf8 = new TextDecoder("utf-8");

/** One record's data in our shape; undefined when it does not make sense for its type. */
function recordData(a: Answer, type: RecordType): RecordData[RecordType] | undefined {
  const data = (a as { data?: unknown }).data;
  switch (type) {
    case "A":
      return typeof data === "string" && isIPv4(data) ? data : undefined;
    case "AAAA":
      return typeof data === "string" && isIPv6(data) ? data : undefined;
    case "CNAME":
    case "NS":
    case "PTR":
      return hostName(data);
    case "MX": {
      const mx = data as { preference?: unknown; exchange?: unknown };
      const exchange = hostName(mx?.exchange);
      if (exchange === undefined || typeof mx.preference !== "number") return undefined;
      return { exchange, preference: mx.preference };
    }
    case "TXT": {
      // RFC 7208 §3.3: the strings of one record are concatenated without spaces.
      const parts = Array.isArray(data) ? data : [data];
      const bytes = parts.map((p) => (typeof p === "string" ? Buffer.from(p) : (p as Buffer)));
      if (bytes.some((b) => !(b instanceof Uint8Array))) return undefined;
      return utf8.decode(Buffer.concat(bytes));
    }
    case "SRV": {
      const srv = data as { priority?: number; weight?: number; port?: unknown; target?: unknown };
      const target = hostName(srv?.target);
      if (target === undefined || typeof srv.port !== "number") return undefined;
      return { priority: srv.priority ?? 0, weight: srv.weight ?? 0, port: srv.port, target };
    }
    case "TLSA": {
      const tlsa = data as {
        usage?: unknown;
        selector?: unknown;
        matchingType?: unknown;
        certificate?: unknown;
      };
      if (
        typeof tlsa?.usage !== "number" ||
        typeof tlsa.selector !== "number" ||
        typeof tlsa.matchingType !== "number" ||
        !(tlsa.certificate instanceof Uint8Array)
      )
        return undefined;
      return {
        usage: tlsa.usage,
        selector: tlsa.selector,
        matchingType: tlsa.matchingType,
        data: new Uint8Array(tlsa.certificate),
      };
    }
  }
}
