/**
 * Aggregate reports other servers send us: DMARC (RFC 7489 §7.2.1.1, XML gzipped, zipped or plain)
 * and TLS-RPT (RFC 8460 §5.3, JSON gzipped). Recognised on arrival over port 25, parsed, kept when
 * about one of our domains and shown by GET /api/v1/reports/dmarc and /reports/tls/received; the
 * message itself is delivered as usual. Hostile reports (a gzip or zip bomb, a DOCTYPE with
 * entities, XML nested deeper than any report) are refused without harm.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deflateRawSync, gzipSync } from "node:zlib";
import { DnsResolver, mailauthResolver } from "../../src/dns/mod.ts";
import { unzipFirst } from "../../src/smtp/reports/archive.ts";
import { destinationAllowed, dmarcReportGzip, dmarcReportMail } from "../../src/smtp/reports/dmarc-report.ts";
import { dmarcReportXml, parseDmarcReport } from "../../src/smtp/reports/dmarc-xml.ts";
import { REPORT_LIMITS } from "../../src/smtp/reports/limits.ts";
import { receivedReport } from "../../src/smtp/reports/received.ts";
import { reportGzip, reportMail, tlsReportJson } from "../../src/smtp/reports/tls-report.ts";
import type { DmarcResultRow } from "../../src/store/mod.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { arrival } from "./authentication-helpers.ts";

const DAY = "2026-11-30";

function row(overrides: Partial<DmarcResultRow> = {}): DmarcResultRow {
  return {
    day: DAY,
    policyDomain: "example.com",
    sourceIp: "192.0.2.1",
    headerFrom: "example.com",
    envelopeFrom: "example.com",
    disposition: "none",
    dkimAligned: "pass",
    spfAligned: "fail",
    reason: "",
    authResults: {
      dkim: [{ domain: "example.com", selector: "s1", result: "pass" }],
      spf: { domain: "example.com", scope: "mfrom", result: "softfail" },
    },
    published: { domain: "example.com", adkim: "r", aspf: "r", p: "quarantine", sp: "quarantine", pct: 100 },
    rua: ["mailto:dmarc@example.com"],
    count: 7,
    ...overrides,
  };
}

const input = (rows: DmarcResultRow[], submitter = "mx.reporter.example") => ({
  day: DAY,
  policyDomain: "example.com",
  submitter,
  contact: "postmaster@reporter.example",
  rows,
});

/** A zip file of one entry (PKWARE APPNOTE: local header, data, central directory, end record). */
function zip(name: string, data: Buffer, method: 0 | 8 = 8): Buffer {
  const body = method === 8 ? deflateRawSync(data) : data;
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(method, 8);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(method, 10);
  central.writeUInt32LE(body.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE(0, 42);
  const directoryAt = local.length + fileName.length + body.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(directoryAt, 16);
  return Buffer.concat([local, fileName, body, central, fileName, end]);
}

/** A report mail the way several large reporters send it: the whole message is the attachment. */
function attachmentMail(contentType: string, filename: string, data: Buffer): Buffer {
  return Buffer.from(
    [
      "From: noreply-dmarc@reporter.example",
      "To: dmarc@example.com",
      `Subject: Report Domain: example.com Submitter: reporter.example Report-ID: <${filename}>`,
      "MIME-Version: 1.0",
      `Content-Type: ${contentType}; name="${filename}"`,
      "Content-Transfer-Encoding: base64",
      `Content-Disposition: attachment; filename="${filename}"`,
      "",
      data.toString("base64").replace(/.{1,76}/g, "$&\r\n"),
    ].join("\r\n"),
  );
}

describe("parseDmarcReport()", () => {
  test("our own report (RFC 7489 Appendix C) parses back to what it says", () => {
    const xml = dmarcReportXml(
      input([row(), row({ sourceIp: "198.51.100.9", disposition: "reject", dkimAligned: "fail", count: 2 })]),
    );
    const report = parseDmarcReport(xml);
    expect(report).toMatchObject({
      orgName: "mx.reporter.example",
      email: "postmaster@reporter.example",
      reportId: `${DAY}.example.com@mx.reporter.example`,
      begin: Date.parse(`${DAY}T00:00:00Z`),
      end: Date.parse(`${DAY}T23:59:59Z`),
      policy: { domain: "example.com", adkim: "r", aspf: "r", p: "quarantine", sp: "quarantine", pct: 100 },
      summary: { messages: 9, passed: 7, failed: 2 },
    });
    expect(report.records[1]).toEqual({
      sourceIp: "198.51.100.9",
      count: 2,
      disposition: "reject",
      dkim: "fail",
      spf: "fail",
      reasons: [],
      headerFrom: "example.com",
      envelopeFrom: "example.com",
      envelopeTo: null,
      authResults: {
        dkim: [{ domain: "example.com", selector: "s1", result: "pass" }],
        spf: [{ domain: "example.com", scope: "mfrom", result: "softfail" }],
      },
    });
  });

  test("the five XML entities and character references are decoded; nothing else is expanded", () => {
    const xml = dmarcReportXml(input([row()], 'AT&T <mail> "x"'));
    expect(parseDmarcReport(xml).orgName).toBe('AT&T <mail> "x"');
    const withRef = xml.replace(
      "<email>postmaster@reporter.example</email>",
      "<email>a&#64;b&#x2E;example</email>",
    );
    expect(parseDmarcReport(withRef).email).toBe("a@b.example");
  });

  test("a report with a DOCTYPE (entity expansion, billion laughs) is refused", () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>${dmarcReportXml(
      input([row()]),
    )
      .replace(/^<\?xml[^>]*>/, "")
      .replace("<org_name>mx.reporter.example", "<org_name>&b;")}`;
    expect(() => parseDmarcReport(laughs)).toThrow("DOCTYPE");
  });

  test("XML nested deeper than any report is refused", () => {
    const deep = `<feedback>${"<a>".repeat(200)}x${"</a>".repeat(200)}</feedback>`;
    expect(() => parseDmarcReport(deep)).toThrow();
  });

  test("a document that is not a report, or lacks what RFC 7489 requires, is refused with a reason", () => {
    expect(() => parseDmarcReport("<html><body>hi</body></html>")).toThrow("no <feedback>");
    expect(() => parseDmarcReport("<feedback><report_metadata/></feedback>")).toThrow("org_name");
    expect(() => parseDmarcReport("not xml at all <<<")).toThrow();
  });
});

describe("archives", () => {
  test("a zip entry, stored or deflated, is read back", () => {
    const data = Buffer.from("<feedback/>");
    expect(unzipFirst(zip("r.xml", data, 8)).toString()).toBe("<feedback/>");
    expect(unzipFirst(zip("r.xml", data, 0)).toString()).toBe("<feedback/>");
  });

  test("a gzip bomb and a zip bomb stop at the size bound, quickly", () => {
    const huge = Buffer.alloc(REPORT_LIMITS.maxReportBytes * 4);
    const started = performance.now();
    const gz = attachmentMail("application/gzip", "r.xml.gz", gzipSync(huge));
    expect(receivedReport(gz, Date.now())).toEqual({
      error: `decompressed report larger than ${REPORT_LIMITS.maxReportBytes} bytes`,
    });
    const zipped = attachmentMail("application/zip", "r.zip", zip("r.xml", huge));
    expect(receivedReport(zipped, Date.now())).toEqual({
      error: `decompressed report larger than ${REPORT_LIMITS.maxReportBytes} bytes`,
    });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("receivedReport()", () => {
  test("a DMARC report as our reporter sends it (multipart, application/gzip) is recognised", () => {
    const x = input([row()]);
    const mail = dmarcReportMail({ ...x, to: "dmarc@example.com", gzip: dmarcReportGzip(dmarcReportXml(x)) });
    const found = receivedReport(mail, 1);
    expect(found && "report" in found && found.report).toMatchObject({
      kind: "dmarc",
      orgName: "mx.reporter.example",
      policyDomain: "example.com",
      receivedAt: 1,
    });
  });

  test("a DMARC report sent as a bare application/zip message is recognised", () => {
    const mail = attachmentMail(
      "application/zip",
      "r!example.com!1!2.zip",
      zip("r.xml", Buffer.from(dmarcReportXml(input([row()])))),
    );
    const found = receivedReport(mail, 1);
    expect(found && "report" in found && found.report.kind).toBe("dmarc");
  });

  test("a TLS-RPT report (multipart/report; report-type=tlsrpt, application/tlsrpt+gzip) is recognised", () => {
    const tls = {
      day: DAY,
      policyDomain: "example.com",
      submitter: "mx.sender.example",
      contact: "postmaster@sender.example",
      rows: [
        {
          day: DAY,
          policyDomain: "example.com",
          policyType: "sts" as const,
          policyStrings: ["version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 86400"],
          mxHost: "mx.example.com",
          receivingIp: "192.0.2.1",
          result: "success",
          reason: "",
          count: 3,
        },
      ],
    };
    const mail = reportMail({ ...tls, to: "tls@example.com", gzip: reportGzip(tlsReportJson(tls)) });
    const found = receivedReport(mail, 1);
    expect(found && "report" in found && found.report).toMatchObject({
      kind: "tlsrpt",
      orgName: "mx.sender.example",
      reportId: `${DAY}.example.com@mx.sender.example`,
      policyDomain: "example.com",
      beginAt: Date.parse(`${DAY}T00:00:00Z`),
    });
  });

  test("ordinary mail is not parsed as a report", () => {
    expect(
      receivedReport(Buffer.from("From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n"), 1),
    ).toBeUndefined();
  });
});

describe("destinationAllowed() (RFC 7489 §7.1)", () => {
  let knot: TestDnsServer;
  let dns: DnsResolver;

  beforeAll(async () => {
    knot = await startDnsServer([
      { origin: "policy.example", records: [{ name: "_dmarc", type: "TXT", value: "v=DMARC1; p=none" }] },
      {
        origin: "reports.example",
        records: [{ name: "policy.example._report._dmarc", type: "TXT", value: "v=DMARC1" }],
      },
      { origin: "other.example", records: [] },
      { origin: "broken.example", records: [], broken: true },
      { origin: "example", records: [] },
    ]);
    dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1_000 });
  });

  afterAll(async () => {
    dns.close();
    await knot.stop();
  });

  const allowed = (policy: string, destination: string) =>
    destinationAllowed(dns, mailauthResolver(dns), policy, destination);

  test("the policy domain itself and its subdomains need no authorization", async () => {
    expect(await allowed("policy.example", "policy.example")).toBe("allowed");
    expect(await allowed("policy.example", "dmarc.policy.example")).toBe("allowed");
  });

  test("another Organizational Domain needs <policy>._report._dmarc.<destination> v=DMARC1", async () => {
    expect(await allowed("policy.example", "reports.example")).toBe("allowed");
    expect(await allowed("policy.example", "other.example")).toBe("refused");
  });

  test("an authorization lookup that fails for now is a temperror (the report waits)", async () => {
    expect(await allowed("policy.example", "broken.example")).toBe("temperror");
  });
});

describe("reports arriving over SMTP", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    await createAccounts(server, [{ address: "dmarc@example.com" }, { address: "tls@example.com" }]);
  });

  afterAll(async () => {
    await server.close();
  });

  test("a DMARC report about our domain is delivered and shown parsed by GET /api/v1/reports/dmarc", async () => {
    const x = input([row()]);
    const mail = dmarcReportMail({ ...x, to: "dmarc@example.com", gzip: dmarcReportGzip(dmarcReportXml(x)) });
    expect((await sendMail(server.ports.smtp!, "", ["dmarc@example.com"], mail)).code).toBe(250);
    await arrival(
      server,
      "dmarc@example.com",
      `Report Domain: example.com Submitter: mx.reporter.example Report-ID: <${DAY}.example.com@mx.reporter.example>`,
    );
    const body = (await (await server.api("/api/v1/reports/dmarc")).json()) as {
      received: Array<{ orgName: string; policyDomain: string; begin: number; report: { summary: unknown } }>;
    };
    expect(body.received).toHaveLength(1);
    expect(body.received[0]).toMatchObject({ orgName: "mx.reporter.example", policyDomain: "example.com" });
    expect(body.received[0]!.report.summary).toEqual({ messages: 7, passed: 7, failed: 0 });
    // The same report again (sent to a second rua address): kept once.
    expect((await sendMail(server.ports.smtp!, "", ["dmarc@example.com"], mail)).code).toBe(250);
    const again = (await (await server.api("/api/v1/reports/dmarc")).json()) as { received: unknown[] };
    expect(again.received).toHaveLength(1);
  });

  test("a report about a domain that is not ours is delivered but not kept", async () => {
    const x = { ...input([row({ policyDomain: "elsewhere.example" })]), policyDomain: "elsewhere.example" };
    const xml = dmarcReportXml(x).replace(
      "<domain>example.com</domain>",
      "<domain>elsewhere.example</domain>",
    );
    const mail = dmarcReportMail({ ...x, to: "dmarc@example.com", gzip: dmarcReportGzip(xml) });
    expect((await sendMail(server.ports.smtp!, "", ["dmarc@example.com"], mail)).code).toBe(250);
    await arrival(
      server,
      "dmarc@example.com",
      `Report Domain: elsewhere.example Submitter: mx.reporter.example Report-ID: <${DAY}.elsewhere.example@mx.reporter.example>`,
    );
    const body = (await (await server.api("/api/v1/reports/dmarc?domain=elsewhere.example")).json()) as {
      received: unknown[];
    };
    expect(body.received).toEqual([]);
  });

  test("a TLS-RPT report about our domain is shown parsed by GET /api/v1/reports/tls/received", async () => {
    const tls = {
      day: DAY,
      policyDomain: "example.com",
      submitter: "mx.sender.example",
      contact: "postmaster@sender.example",
      rows: [
        {
          day: DAY,
          policyDomain: "example.com",
          policyType: "no-policy-found" as const,
          policyStrings: [],
          mxHost: "mx.example.com",
          receivingIp: "192.0.2.1",
          result: "starttls-not-supported",
          reason: "",
          count: 2,
        },
      ],
    };
    const mail = reportMail({ ...tls, to: "tls@example.com", gzip: reportGzip(tlsReportJson(tls)) });
    expect((await sendMail(server.ports.smtp!, "", ["tls@example.com"], mail)).code).toBe(250);
    await arrival(
      server,
      "tls@example.com",
      `Report Domain: example.com Submitter: mx.sender.example Report-ID: <${DAY}.example.com@mx.sender.example>`,
    );
    const body = (await (await server.api("/api/v1/reports/tls/received")).json()) as {
      items: Array<{ orgName: string; report: { policies: Array<{ summary: unknown }> } }>;
    };
    expect(body.items).toHaveLength(1);
    expect(body.items[0]!.orgName).toBe("mx.sender.example");
    expect(body.items[0]!.report.policies[0]!.summary).toEqual({
      "total-successful-session-count": 0,
      "total-failure-session-count": 2,
    });
  });
});
