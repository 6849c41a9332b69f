/**
 * Aggregate reports other receivers send us, recognised as they arrive on port 25 and parsed once:
 *
 * - DMARC (RFC 7489 §7.2.1.1): the XML report gzipped (application/gzip), zipped (as several large
 *   reporters send it) or plain (text/xml), usually with "Report Domain: ..." as the Subject.
 * - TLS-RPT (RFC 8460 §5.3): multipart/report; report-type="tlsrpt" with the JSON report as
 *   application/tlsrpt+gzip or application/tlsrpt+json.
 *
 * Only a cheap look at the header decides whether a message is parsed at all (`mayBeReport`). A
 * report is kept only when it is about one of our domains (the caller checks), and the message is
 * delivered to its recipients as usual either way. Anything malformed is simply not a report.
 */
import { decodeTransfer, type MimePart, parseHeaders, parseMessage } from "../../mime/mod.ts";
import type { ReceivedReportInput } from "../../store/mod.ts";
import { ArchiveError, gunzipBounded, unzipFirst } from "./archive.ts";
import { parseDmarcReport, ReportFormatError } from "./dmarc-xml.ts";
import { REPORT_LIMITS } from "./limits.ts";

const DMARC_TYPES = /^(application\/(gzip|x-gzip|zip|x-zip|x-zip-compressed|xml|octet-stream)|text\/xml)$/;
const TLSRPT_TYPES = /^application\/tlsrpt\+(gzip|json)$/;

/** From the header alone: could this be a report? (Most mail is not, and is not parsed again.) */
export function mayBeReport(body: Buffer): boolean {
  return fieldsLookLikeReport(parseHeaders(body, 0, body.length, 200));
}

/** mayBeReport() on header fields already parsed (the inbound checks parse them anyway). */
export function fieldsLookLikeReport(fields: ReadonlyArray<{ name: string; value: string }>): boolean {
  for (const field of fields.slice(0, 200)) {
    const name = field.name.toLowerCase();
    if (name === "subject" && /^\s*report domain:/i.test(field.value)) return true;
    if (name === "tls-report-domain") return true;
    if (name === "content-type") {
      const value = field.value.toLowerCase();
      if (/^\s*multipart\/report/.test(value) && /report-type\s*=\s*"?tlsrpt/.test(value)) return true;
      const type = value.split(";")[0]!.trim();
      if (DMARC_TYPES.test(type) || TLSRPT_TYPES.test(type)) return true;
    }
  }
  return false;
}

function leaves(part: MimePart, out: MimePart[] = []): MimePart[] {
  if (out.length >= REPORT_LIMITS.maxParts * 4) return out;
  if (part.children.length === 0) out.push(part);
  for (const child of part.children) leaves(child, out);
  return out;
}

function filename(part: MimePart): string {
  return (part.disposition?.params.filename ?? part.params.name ?? "").toLowerCase();
}

/** The report's bytes, decompressed by what the part's type or name says it is. */
function open(part: MimePart, body: Uint8Array): Buffer {
  const type = `${part.type}/${part.subtype}`;
  const name = filename(part);
  // By name first (a reporter's type may be application/octet-stream), then by type; "gzip" before
  // "zip", which it contains.
  if (name.endsWith(".gz") || /^application\/(x-)?gzip$/.test(type) || /\+gzip$/.test(type))
    return gunzipBounded(body);
  if (name.endsWith(".zip") || /^application\/(x-zip|zip|x-zip-compressed)$/.test(type))
    return unzipFirst(body);
  if (body.length > REPORT_LIMITS.maxReportBytes) throw new ArchiveError("report too large");
  return Buffer.from(body);
}

function epochMs(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 8460 §4.4: the fields a report must have; the rest is kept as it came, bounded. */
function tlsReport(json: string): Omit<ReceivedReportInput, "receivedAt"> {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(json) as Record<string, unknown>;
  } catch (error) {
    throw new ReportFormatError(`not JSON: ${(error as Error).message}`);
  }
  const range = (doc["date-range"] ?? {}) as Record<string, unknown>;
  const policies = Array.isArray(doc.policies) ? doc.policies : undefined;
  const orgName = doc["organization-name"];
  const reportId = doc["report-id"];
  const beginAt = epochMs(range["start-datetime"]);
  const endAt = epochMs(range["end-datetime"]);
  if (typeof orgName !== "string" || typeof reportId !== "string" || !policies || !beginAt || !endAt)
    throw new ReportFormatError("not a TLS report (RFC 8460 §4.4 fields missing)");
  if (policies.length > REPORT_LIMITS.maxRecords) throw new ReportFormatError("too many policies");
  const first = (policies[0] ?? {}) as { policy?: { "policy-domain"?: unknown } };
  const policyDomain = first.policy?.["policy-domain"];
  if (typeof policyDomain !== "string") throw new ReportFormatError("no policy-domain");
  return {
    kind: "tlsrpt",
    orgName: orgName.slice(0, 1_000),
    reportId: reportId.slice(0, 1_000),
    policyDomain: policyDomain.toLowerCase(),
    beginAt,
    endAt,
    report: doc,
  };
}

/**
 * The report a message carries, parsed, or undefined (not a report, or not one we can read: the
 * reason is returned for the log). `received` is the arrival time.
 */
export function receivedReport(
  body: Buffer,
  received: number,
  options: { lookedAt?: boolean } = {},
): { report: ReceivedReportInput } | { error: string } | undefined {
  // `lookedAt`: the caller already ran fieldsLookLikeReport() and it said yes.
  if (!options.lookedAt && !mayBeReport(body)) return undefined;
  const parsed = parseMessage(body);
  let error: string | undefined;
  for (const part of leaves(parsed.structure).slice(0, REPORT_LIMITS.maxParts)) {
    const type = `${part.type}/${part.subtype}`;
    const name = filename(part);
    const tlsrpt = TLSRPT_TYPES.test(type) || /\.json(\.gz)?$/.test(name);
    const dmarc = !tlsrpt && (DMARC_TYPES.test(type) || /\.(xml|xml\.gz|zip)$/.test(name));
    if (!tlsrpt && !dmarc) continue;
    try {
      const bytes = open(part, decodeTransfer(body.subarray(part.bodyStart, part.end), part.encoding));
      if (tlsrpt) return { report: { ...tlsReport(bytes.toString("utf8")), receivedAt: received } };
      const report = parseDmarcReport(bytes.toString("utf8"));
      return {
        report: {
          kind: "dmarc",
          orgName: report.orgName,
          reportId: report.reportId,
          policyDomain: report.policy.domain,
          beginAt: report.begin,
          endAt: report.end,
          receivedAt: received,
          report,
        },
      };
    } catch (e) {
      if (!(e instanceof ArchiveError) && !(e instanceof ReportFormatError)) throw e;
      error = e.message;
    }
  }
  return error ? { error } : undefined;
}
