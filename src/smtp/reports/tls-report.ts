/**
 * TLS-RPT (RFC 8460): the aggregate report of one UTC day for one policy domain (§4, JSON), the
 * `_smtp._tls` record that says where it goes (§3), and the mail that carries it (§5.3:
 * multipart/report; report-type="tlsrpt" with the gzipped JSON as application/tlsrpt+gzip). Pure:
 * facts in, bytes out.
 */
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { TlsResultRow } from "../../store/mod.ts";
import { reportMessage } from "./report-mail.ts";

export interface TlsReportInput {
  day: string;
  policyDomain: string;
  /** Our host name: organization-name, submitter, report id's domain. */
  submitter: string;
  /** contact-info (§4.4): the postmaster of our primary domain. */
  contact: string;
  rows: readonly TlsResultRow[];
}

/** RFC 8460 §4.4: the report object. */
export function tlsReportJson(input: TlsReportInput): Record<string, unknown> {
  const groups = new Map<string, TlsResultRow[]>();
  for (const row of input.rows) {
    const key = JSON.stringify([row.policyType, row.policyStrings]);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const policies = [...groups.values()].map((rows) => {
    const { policyType, policyStrings } = rows[0]!;
    const mxHosts =
      policyType === "sts"
        ? policyStrings.filter((l) => /^mx\s*:/.test(l)).map((l) => l.replace(/^mx\s*:\s*/, ""))
        : [...new Set(rows.map((r) => r.mxHost).filter((h) => h !== ""))];
    const failures = rows.filter((r) => r.result !== "success");
    return {
      policy: {
        "policy-type": policyType,
        ...(policyStrings.length > 0 ? { "policy-string": policyStrings } : {}),
        "policy-domain": input.policyDomain,
        ...(mxHosts.length > 0 ? { "mx-host": mxHosts } : {}),
      },
      summary: {
        "total-successful-session-count": rows
          .filter((r) => r.result === "success")
          .reduce((n, r) => n + r.count, 0),
        "total-failure-session-count": failures.reduce((n, r) => n + r.count, 0),
      },
      ...(failures.length > 0
        ? {
            "failure-details": failures.map((r) => ({
              "result-type": r.result,
              ...(r.receivingIp ? { "receiving-ip": r.receivingIp } : {}),
              ...(r.mxHost ? { "receiving-mx-hostname": r.mxHost } : {}),
              "failed-session-count": r.count,
              ...(r.reason ? { "failure-reason-code": r.reason } : {}),
            })),
          }
        : {}),
    };
  });
  return {
    "organization-name": input.submitter,
    "date-range": {
      "start-datetime": `${input.day}T00:00:00Z`,
      "end-datetime": `${input.day}T23:59:59Z`,
    },
    "contact-info": input.contact,
    "report-id": reportId(input),
    policies,
  };
}

export function reportId(input: Pick<TlsReportInput, "day" | "policyDomain" | "submitter">): string {
  return `${input.day}.${input.policyDomain}@${input.submitter}`;
}

/** RFC 8460 §3: "v=TLSRPTv1; rua=mailto:a@b,https://c/d" -> the rua URIs; undefined without a record. */
export function parseTlsRptRecord(records: readonly string[]): string[] | undefined {
  const ours = records.filter((r) => /^v=TLSRPTv1\s*(;|$)/.test(r.trim()));
  // §3: exactly one record; more (or none) is no reporting.
  if (ours.length !== 1) return undefined;
  for (const part of ours[0]!.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === "rua")
      return part
        .slice(eq + 1)
        .split(",")
        .map((u) => u.trim())
        .filter((u) => /^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/i.test(u));
  }
  return undefined;
}

/** RFC 8460 §5.1: submitter!policy-domain!begin!end.json.gz (seconds since the epoch). */
export function reportFilename(input: Pick<TlsReportInput, "day" | "policyDomain" | "submitter">): string {
  const begin = Date.parse(`${input.day}T00:00:00Z`) / 1000;
  const end = begin + 86_400 - 1;
  return `${input.submitter}!${input.policyDomain}!${begin}!${end}.json.gz`;
}

export function reportGzip(report: Record<string, unknown>): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(report), "utf8"));
}

/** RFC 8460 §5.3: the report as a message to one mailto: address. */
export function reportMail(
  input: TlsReportInput & { to: string; gzip: Buffer; date?: Date; boundary?: string },
): Buffer {
  return reportMessage({
    from: `TLS reporting <noreply-smtp-tls-reporting@${input.submitter}>`,
    to: input.to,
    policyDomain: input.policyDomain,
    submitter: input.submitter,
    reportId: reportId(input),
    date: input.date,
    // §5.3: these two fields, so a receiver can sort reports without opening them.
    headers: [`TLS-Report-Domain: ${input.policyDomain}`, `TLS-Report-Submitter: ${input.submitter}`],
    multipart: 'multipart/report; report-type="tlsrpt"',
    boundary: input.boundary ?? `=_mailroom_tlsrpt_${randomBytes(12).toString("hex")}`,
    text: [
      `This is an aggregate TLS report (RFC 8460) from ${input.submitter}`,
      `for mail sent to ${input.policyDomain} on ${input.day} (UTC).`,
    ],
    attachmentType: "application/tlsrpt+gzip",
    filename: reportFilename(input),
    gzip: input.gzip,
  });
}
