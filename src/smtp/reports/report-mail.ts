/**
 * The mail that carries one aggregate report we send, DMARC (RFC 7489 §7.2.1.1) or TLS-RPT
 * (RFC 8460 §5.3): from a noreply address of the submitter, the Subject both RFCs give
 * ("Report Domain: ... Submitter: ... Report-ID: <...>"), a short text part, and the gzipped
 * report as a base64 attachment. The kinds differ only in the values passed. Pure: facts in, bytes out.
 */
import { randomBytes } from "node:crypto";
import { rfc5322Date } from "../trace-headers.ts";

export interface ReportMessage {
  /** e.g. "DMARC reporting <noreply-dmarc-reporting@host>". */
  from: string;
  to: string;
  policyDomain: string;
  submitter: string;
  reportId: string;
  date?: Date | undefined;
  /** Header fields of the kind, after Message-ID. */
  headers?: readonly string[];
  /** The top-level multipart type and parameters, without the boundary. */
  multipart: string;
  boundary: string;
  text: readonly string[];
  /** The attachment's Content-Type field value. */
  attachmentType: string;
  filename: string;
  gzip: Buffer;
}

export function reportMessage(m: ReportMessage): Buffer {
  const base64 = m.gzip.toString("base64").replace(/.{1,76}/g, "$&\r\n");
  const lines = [
    `From: ${m.from}`,
    `To: <${m.to}>`,
    `Subject: Report Domain: ${m.policyDomain} Submitter: ${m.submitter} Report-ID: <${m.reportId}>`,
    `Date: ${rfc5322Date(m.date ?? new Date())}`,
    `Message-ID: <${Date.now().toString(36)}.${randomBytes(8).toString("hex")}@${m.submitter}>`,
    ...(m.headers ?? []),
    "Auto-Submitted: auto-generated",
    "MIME-Version: 1.0",
    `Content-Type: ${m.multipart};\r\n\tboundary="${m.boundary}"`,
    "",
    "This is a multipart message in MIME format.",
    "",
    `--${m.boundary}`,
    "Content-Type: text/plain; charset=us-ascii",
    "Content-Transfer-Encoding: 7bit",
    "",
    ...m.text,
    "",
    `--${m.boundary}`,
    `Content-Type: ${m.attachmentType}`,
    "Content-Transfer-Encoding: base64",
    `Content-Disposition: attachment;\r\n\tfilename="${m.filename}"`,
    "",
    base64.trimEnd(),
    `--${m.boundary}--`,
    "",
  ];
  return Buffer.from(lines.join("\r\n"), "ascii");
}
