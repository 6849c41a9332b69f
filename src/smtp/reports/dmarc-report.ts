/**
 * DMARC aggregate reports we send (RFC 7489 §7.2): the mail that carries one (§7.2.1.1: gzipped
 * XML as application/gzip, the file named receiver!policy-domain!begin!end.xml.gz, the Subject
 * "Report Domain: ... Submitter: ... Report-ID: <...>"), and the rua URIs it may go to: mailto:
 * only, with the optional size limit ("!10m"), and a destination outside the policy domain's
 * Organizational Domain only when that domain agrees to receive them (§7.1). Pure but for that check.
 */
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { createRecordLookup, getOrgDomain } from "mailauth/lib/dmarc/get-dmarc-record.js";
import type { DnsResolver } from "../../dns/mod.ts";
import { type DmarcReportInput, dmarcReportId, dmarcReportRange } from "./dmarc-xml.ts";
import { reportMessage } from "./report-mail.ts";

/** RFC 7489 §7.2.1.1 filename. */
export function dmarcReportFilename(
  input: Pick<DmarcReportInput, "day" | "policyDomain" | "submitter">,
): string {
  const { begin, end } = dmarcReportRange(input.day);
  return `${input.submitter}!${input.policyDomain}!${begin}!${end}.xml.gz`;
}

export function dmarcReportGzip(xml: string): Buffer {
  return gzipSync(Buffer.from(xml, "utf8"));
}

export function dmarcReportMail(
  input: DmarcReportInput & { to: string; gzip: Buffer; date?: Date; boundary?: string },
): Buffer {
  const filename = dmarcReportFilename(input);
  return reportMessage({
    from: `DMARC reporting <noreply-dmarc-reporting@${input.submitter}>`,
    to: input.to,
    policyDomain: input.policyDomain,
    submitter: input.submitter,
    reportId: dmarcReportId(input),
    date: input.date,
    multipart: "multipart/mixed",
    boundary: input.boundary ?? `=_mailroom_dmarc_${randomBytes(12).toString("hex")}`,
    text: [
      `This is a DMARC aggregate report (RFC 7489) from ${input.submitter}`,
      `for mail from ${input.policyDomain} received on ${input.day} (UTC).`,
    ],
    attachmentType: `application/gzip; name="${filename}"`,
    filename,
    gzip: input.gzip,
  });
}

export interface RuaDestination {
  uri: string;
  address: string;
  /** The "!size" limit in bytes (RFC 7489 §6.4), when given. */
  maxBytes?: number;
}

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function ruaDestination(uri: string): RuaDestination | undefined {
  const m = /^mailto:([^\s!]+@[^\s!]+?)(?:!(\d+)([kmgt]?))?$/i.exec(uri.trim());
  if (!m) return undefined;
  let address: string;
  try {
    address = decodeURIComponent(m[1]!.split("?")[0]!);
  } catch {
    return undefined;
  }
  if (!/^[^\s@]+@[^\s@]+$/.test(address)) return undefined;
  return {
    uri,
    address,
    ...(m[2] ? { maxBytes: Number(m[2]) * UNITS[(m[3] ?? "").toLowerCase()]! } : {}),
  };
}

/**
 * RFC 7489 §7.1: may reports about `policyDomain` go to an address at `destination`? Yes when both
 * have the same Organizational Domain (the tree walk of RFC 9989 §4.10); otherwise only when
 * `<policyDomain>._report._dmarc.<destination>` has a "v=DMARC1" TXT record.
 */
export async function destinationAllowed(
  resolver: Pick<DnsResolver, "txt">,
  lookup: (name: string, rrtype: string) => Promise<unknown>,
  policyDomain: string,
  destination: string,
): Promise<"allowed" | "refused" | "temperror"> {
  const policy = policyDomain.toLowerCase();
  const target = destination.toLowerCase();
  if (target === policy || target.endsWith(`.${policy}`)) return "allowed";
  try {
    const records = createRecordLookup(lookup);
    const [a, b] = await Promise.all([getOrgDomain(policy, records), getOrgDomain(target, records)]);
    if (a === b) return "allowed";
  } catch {
    return "temperror";
  }
  const txt = await resolver.txt(`${policy}._report._dmarc.${target}`);
  if (txt.kind === "temperror") return "temperror";
  if (txt.kind === "ok" && txt.records.some((r) => /^v\s*=\s*DMARC1\s*(;|$)/.test(r.trim())))
    return "allowed";
  return "refused";
}
