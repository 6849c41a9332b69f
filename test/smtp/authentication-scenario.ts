/**
 * The inbound checks' own modules (src/smtp/authentication/, src/smtp/reports/received.ts) against
 * Knot: SPF for both identities, DKIM (RSA and Ed25519) and DMARC through verifyMessage(), the policy
 * verdict of a spoof, the Authentication-Results field, and a gzipped DMARC report parsed with
 * fast-xml-parser. Shared by the Bun test (in-process) and the Deno run
 * (`deno run -A --node-modules-dir=manual test/smtp/authentication-scenario.ts` prints the summary
 * as JSON), so both runtimes are held to the same results.
 */
import { DnsResolver } from "../../src/dns/mod.ts";
import { stripOwnResults } from "../../src/smtp/authentication/forged-results.ts";
import { authenticationResultsField } from "../../src/smtp/authentication/header.ts";
import { decide } from "../../src/smtp/authentication/policy.ts";
import { AuthResolver } from "../../src/smtp/authentication/resolver.ts";
import { checkSpf } from "../../src/smtp/authentication/spf.ts";
import { verifyMessage } from "../../src/smtp/authentication/verify.ts";
import { dmarcReportGzip, dmarcReportMail } from "../../src/smtp/reports/dmarc-report.ts";
import { dmarcReportXml } from "../../src/smtp/reports/dmarc-xml.ts";
import { receivedReport } from "../../src/smtp/reports/received.ts";
import { startDnsServer } from "../harness/dns-server.ts";
import { ed25519Key, message, rsaKey, sign } from "./authentication-helpers.ts";

export interface AuthScenarioSummary {
  spf: string;
  helo: string;
  dkim: string[];
  dmarc: string;
  spoofVerdict: string;
  forgedRemoved: number;
  field: string;
  report: string;
}

export async function runAuthScenario(): Promise<AuthScenarioSummary> {
  const rsa = rsaKey();
  const ed = ed25519Key();
  const knot = await startDnsServer([
    {
      origin: "sender.example",
      records: [
        { name: "@", type: "TXT", value: "v=spf1 ip4:192.0.2.10 -all" },
        { name: "mail", type: "TXT", value: "v=spf1 ip4:192.0.2.10 -all" },
        { name: "rsa._domainkey", type: "TXT", value: rsa.record },
        { name: "ed._domainkey", type: "TXT", value: ed.record },
        { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=reject" },
      ],
    },
    { origin: "example", records: [] },
  ]);
  const dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1_000 });
  const resolver = new AuthResolver(dns);
  try {
    const deadline = () => Date.now() + 10_000;
    const spfOf = (ip: string) =>
      checkSpf({
        ip,
        mailFrom: "alice@sender.example",
        helo: "mail.sender.example",
        hostname: "mx.rcpt.example",
        lookup: resolver.forCheck(deadline()),
        maxElapsedMs: 10_000,
      });
    const raw = await sign(
      message(
        "alice@sender.example",
        "bob@rcpt.example",
        "scenario",
        "Authentication-Results: mx.rcpt.example; dkim=pass",
      ),
      [
        { domain: "sender.example", selector: "rsa", key: rsa },
        { domain: "sender.example", selector: "ed", key: ed },
      ],
    );
    const { body, removed } = stripOwnResults(Buffer.from(raw), "mx.rcpt.example");
    const spf = await spfOf("192.0.2.10");
    const good = await verifyMessage({
      body,
      spf: Promise.resolve(spf),
      ip: "192.0.2.10",
      resolver,
      deadlineAt: deadline(),
    });
    const spoofSpf = await spfOf("198.51.100.7");
    const spoof = await verifyMessage({
      body: Buffer.from(message("alice@sender.example", "bob@rcpt.example", "spoof")),
      spf: Promise.resolve(spoofSpf),
      ip: "198.51.100.7",
      resolver,
      deadlineAt: deadline(),
    });
    const verdict = decide({
      spf: spoofSpf,
      dkim: spoof.dkim,
      dmarc: spoof.dmarc,
      spfReject: false,
      sample: 0,
    }).verdict;
    const reportInput = {
      day: "2026-11-30",
      policyDomain: "rcpt.example",
      submitter: "mx.sender.example",
      contact: "postmaster@sender.example",
      rows: [],
    };
    const mail = dmarcReportMail({
      ...reportInput,
      to: "dmarc@rcpt.example",
      gzip: dmarcReportGzip(dmarcReportXml(reportInput)),
    });
    const report = receivedReport(mail, 0);
    return {
      spf: spf.mailFrom.result,
      helo: spf.helo?.result ?? "absent",
      dkim: good.dkim.map((d) => `${d.selector}:${d.result}`),
      dmarc: good.dmarc ? good.dmarc.status.result : "absent",
      spoofVerdict: verdict.action === "refuse" ? verdict.reply.message : "delivered",
      forgedRemoved: removed,
      field: authenticationResultsField("mx.rcpt.example", good.infos),
      report: report && "report" in report ? `${report.report.kind}:${report.report.orgName}` : "none",
    };
  } finally {
    dns.close();
    await knot.stop();
  }
}

if (import.meta.main) {
  const summary = await runAuthScenario();
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
