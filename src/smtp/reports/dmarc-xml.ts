/**
 * DMARC aggregate reports as XML (RFC 7489 Appendix C; RFC 9990 keeps the same elements): our report
 * out (`dmarcReportXml`), and other receivers' reports in (`parseDmarcReport`), normalised to plain
 * JSON. Parsing uses fast-xml-parser with entity processing off, and a document with a DOCTYPE is
 * refused outright: no entity expansion (billion laughs), no external entities. Only the five
 * predefined entities and character references are decoded, by hand, once.
 */
import { XMLParser } from "fast-xml-parser";
import type { DmarcAuthResults, DmarcPublished, DmarcResultRow } from "../../store/mod.ts";
import { REPORT_LIMITS } from "./limits.ts";

export class ReportFormatError extends Error {
  override name = "ReportFormatError";
}

export interface DmarcRecord {
  sourceIp: string;
  count: number;
  disposition: string;
  dkim: string;
  spf: string;
  reasons: Array<{ type: string; comment: string | null }>;
  headerFrom: string;
  envelopeFrom: string | null;
  envelopeTo: string | null;
  authResults: {
    dkim: Array<{ domain: string; selector: string | null; result: string }>;
    spf: Array<{ domain: string; scope: string | null; result: string }>;
  };
}

export interface DmarcReport {
  orgName: string;
  email: string | null;
  reportId: string;
  /** Epoch ms. */
  begin: number;
  end: number;
  policy: {
    domain: string;
    adkim: string | null;
    aspf: string | null;
    p: string;
    sp: string | null;
    np: string | null;
    pct: number | null;
    fo: string | null;
  };
  records: DmarcRecord[];
  /** Messages counted in the records; how many passed DMARC (aligned DKIM or SPF). */
  summary: { messages: number; passed: number; failed: number };
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** XML 1.0 §4.6 predefined entities and §4.1 character references; nothing else is expanded. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code = ref[1] === "x" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

const ARRAYS = new Set(["record", "dkim", "spf", "reason", "error"]);

const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  maxNestedTags: REPORT_LIMITS.maxXmlDepth,
  // policy_evaluated has one <dkim> and one <spf>; auth_results has lists of them.
  isArray: (name: string, jpath: unknown) =>
    ARRAYS.has(name) &&
    !String(jpath).includes("policy_evaluated.dkim") &&
    !String(jpath).includes("policy_evaluated.spf"),
  tagValueProcessor: (_name: string, value: string) => decodeXmlText(value),
});

type Node = Record<string, unknown>;

const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const obj = (v: unknown): Node => (v && typeof v === "object" && !Array.isArray(v) ? (v as Node) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function required(node: Node, name: string, where: string): string {
  const value = text(node[name]);
  if (value === null) throw new ReportFormatError(`${where}: <${name}> is missing`);
  return value.slice(0, 1_000);
}

function seconds(value: string, where: string): number {
  if (!/^\d{1,12}$/.test(value)) throw new ReportFormatError(`${where} is not a time in seconds`);
  return Number(value) * 1000;
}

/** A received aggregate report, checked for the elements RFC 7489 Appendix C requires. */
export function parseDmarcReport(xml: string): DmarcReport {
  if (/<!DOCTYPE/i.test(xml)) throw new ReportFormatError("a DOCTYPE is not accepted (entity expansion)");
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (error) {
    throw new ReportFormatError(`not well-formed XML: ${(error as Error).message}`);
  }
  const feedback = obj(doc.feedback);
  if (Object.keys(feedback).length === 0) throw new ReportFormatError("no <feedback> element");
  const meta = obj(feedback.report_metadata);
  const range = obj(meta.date_range);
  const published = obj(feedback.policy_published);
  const rawRecords = list(feedback.record);
  if (rawRecords.length > REPORT_LIMITS.maxRecords)
    throw new ReportFormatError(`more than ${REPORT_LIMITS.maxRecords} records`);
  const records = rawRecords.map((r, i) => record(obj(r), `record ${i + 1}`));
  const messages = records.reduce((n, r) => n + r.count, 0);
  const passed = records
    .filter((r) => r.dkim === "pass" || r.spf === "pass")
    .reduce((n, r) => n + r.count, 0);
  const pct = text(published.pct);
  return {
    orgName: required(meta, "org_name", "report_metadata"),
    email: text(meta.email),
    reportId: required(meta, "report_id", "report_metadata"),
    begin: seconds(required(range, "begin", "date_range"), "date_range begin"),
    end: seconds(required(range, "end", "date_range"), "date_range end"),
    policy: {
      domain: required(published, "domain", "policy_published").toLowerCase(),
      adkim: text(published.adkim),
      aspf: text(published.aspf),
      p: required(published, "p", "policy_published"),
      sp: text(published.sp),
      np: text(published.np),
      pct: pct !== null && /^\d{1,3}$/.test(pct) ? Number(pct) : null,
      fo: text(published.fo),
    },
    records,
    summary: { messages, passed, failed: messages - passed },
  };
}

function record(node: Node, where: string): DmarcRecord {
  const row = obj(node.row);
  const evaluated = obj(row.policy_evaluated);
  const identifiers = obj(node.identifiers);
  const auth = obj(node.auth_results);
  const count = required(row, "count", where);
  if (!/^\d{1,12}$/.test(count)) throw new ReportFormatError(`${where}: <count> is not a number`);
  return {
    sourceIp: required(row, "source_ip", where),
    count: Number(count),
    disposition: required(evaluated, "disposition", where),
    dkim: text(evaluated.dkim) ?? "fail",
    spf: text(evaluated.spf) ?? "fail",
    reasons: list(evaluated.reason).map((r) => ({
      type: text(obj(r).type) ?? "other",
      comment: text(obj(r).comment),
    })),
    headerFrom: required(identifiers, "header_from", where).toLowerCase(),
    envelopeFrom: text(identifiers.envelope_from),
    envelopeTo: text(identifiers.envelope_to),
    authResults: {
      dkim: list(auth.dkim).map((d) => ({
        domain: text(obj(d).domain) ?? "",
        selector: text(obj(d).selector),
        result: text(obj(d).result) ?? "none",
      })),
      spf: list(auth.spf).map((s) => ({
        domain: text(obj(s).domain) ?? "",
        scope: text(obj(s).scope),
        result: text(obj(s).result) ?? "none",
      })),
    },
  };
}

const xmlEscape = (value: string | number) =>
  String(value).replace(
    /[<>&"']/g,
    (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos" }[c]};`,
  );

const element = (name: string, value: string | number | undefined | null) =>
  value === undefined || value === null || value === "" ? "" : `<${name}>${xmlEscape(value)}</${name}>`;

export interface DmarcReportInput {
  day: string;
  policyDomain: string;
  /** Our host name: org_name, the report id's domain. */
  submitter: string;
  /** report_metadata email: the postmaster of our primary domain. */
  contact: string;
  rows: readonly DmarcResultRow[];
}

/** RFC 7489 §7.2.1.1: receiver!policy-domain!begin!end (seconds since the epoch). */
export function dmarcReportRange(day: string): { begin: number; end: number } {
  const begin = Date.parse(`${day}T00:00:00Z`) / 1000;
  return { begin, end: begin + 86_400 - 1 };
}

export function dmarcReportId(input: Pick<DmarcReportInput, "day" | "policyDomain" | "submitter">): string {
  return `${input.day}.${input.policyDomain}@${input.submitter}`;
}

function authResultsXml(a: DmarcAuthResults): string {
  const dkim = a.dkim
    .map(
      (d) =>
        `<dkim>${element("domain", d.domain)}${element("selector", d.selector)}${element("result", d.result)}</dkim>`,
    )
    .join("");
  const spf = `<spf>${element("domain", a.spf.domain)}${element("scope", a.spf.scope)}${element("result", a.spf.result)}</spf>`;
  return `<auth_results>${dkim}${spf}</auth_results>`;
}

function publishedXml(p: DmarcPublished): string {
  return [
    "<policy_published>",
    element("domain", p.domain),
    element("adkim", p.adkim),
    element("aspf", p.aspf),
    element("p", p.p),
    element("sp", p.sp),
    element("np", p.np),
    element("pct", p.pct),
    element("fo", p.fo),
    "</policy_published>",
  ].join("");
}

/** RFC 7489 Appendix C: one <feedback> for one policy domain and one UTC day. */
export function dmarcReportXml(input: DmarcReportInput): string {
  const { begin, end } = dmarcReportRange(input.day);
  const rows = input.rows.slice(0, REPORT_LIMITS.maxSentRecords);
  const published = rows[0]?.published ?? {
    domain: input.policyDomain,
    adkim: "r",
    aspf: "r",
    p: "none",
    sp: "none",
    pct: 100,
  };
  const records = rows.map((r) =>
    [
      "<record><row>",
      element("source_ip", r.sourceIp),
      element("count", r.count),
      "<policy_evaluated>",
      element("disposition", r.disposition),
      element("dkim", r.dkimAligned),
      element("spf", r.spfAligned),
      r.reason ? `<reason>${element("type", r.reason)}</reason>` : "",
      "</policy_evaluated></row>",
      "<identifiers>",
      element("envelope_from", r.envelopeFrom),
      element("header_from", r.headerFrom),
      "</identifiers>",
      authResultsXml(r.authResults),
      "</record>",
    ].join(""),
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<feedback>",
    "<version>1.0</version>",
    "<report_metadata>",
    element("org_name", input.submitter),
    element("email", input.contact),
    element("report_id", dmarcReportId(input)),
    `<date_range>${element("begin", begin)}${element("end", end)}</date_range>`,
    "</report_metadata>",
    publishedXml(published),
    ...records,
    "</feedback>",
    "",
  ].join("\n");
}
