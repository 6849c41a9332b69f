/**
 * mailauth (SPF, DKIM, DMARC) over our resolver against a real DNS server: Knot on loopback
 * serves an SPF record, DKIM keys (RSA 2048 and Ed25519, RFC 8463) and a DMARC policy; a message
 * signed with mailauth's own dkimSign is checked with authenticate(). Shared by the Bun test
 * (in-process) and the Deno run (`deno run -A --node-modules-dir=manual test/dns/mailauth-scenario.ts`
 * prints the summary as JSON), so both runtimes are held to the same results.
 */
import { generateKeyPairSync } from "node:crypto";
import { authenticate, type DNSResolver } from "mailauth";
// The file itself: mailauth has no exports map, and Deno resolves subpaths only with the extension.
import { dkimSign } from "mailauth/lib/dkim/sign.js";
import { DnsResolver, mailauthResolver } from "../../src/dns/mod.ts";
import { startDnsServer } from "../harness/dns-server.ts";

export interface ScenarioSummary {
  spfPass: string;
  spfFail: string;
  spfTemperror: string;
  spfNone: string;
  dkim: string[];
  dkimMissingKey: string;
  dkimTemperror: string;
  dmarc: string;
  dmarcSpoofed: string;
  header: string;
}

const SENDER_IP = "192.0.2.10";

function keys() {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ed = generateKeyPairSync("ed25519");
  // RFC 6376 §3.6.1: p= is the base64 SubjectPublicKeyInfo; RFC 8463 §4: for Ed25519 the raw 32 bytes.
  const rsaPublic = rsa.publicKey.export({ type: "spki", format: "der" }).toString("base64");
  const edPublic = ed.publicKey.export({ type: "spki", format: "der" }).subarray(-32).toString("base64");
  return {
    rsaPrivate: rsa.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    edPrivate: ed.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    rsaRecord: `v=DKIM1; k=rsa; p=${rsaPublic}`,
    edRecord: `v=DKIM1; k=ed25519; p=${edPublic}`,
  };
}

export async function runMailauthScenario(): Promise<ScenarioSummary> {
  const k = keys();
  const knot = await startDnsServer([
    {
      origin: "sender.example",
      records: [
        { name: "@", type: "TXT", value: `v=spf1 ip4:${SENDER_IP} -all` },
        // 2048-bit RSA: the record is longer than 255 bytes, several strings on the wire.
        { name: "rsa._domainkey", type: "TXT", value: k.rsaRecord },
        { name: "ed._domainkey", type: "TXT", value: k.edRecord },
        { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=reject" },
      ],
    },
    { origin: "nospf.example", records: [{ name: "@", type: "A", value: "192.0.2.20" }] },
    { origin: "broken.example", records: [], broken: true },
  ]);
  const dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1_000 });
  // mailauth's type says string arrays only; MX answers are objects, as with node:dns.
  const resolver = mailauthResolver(dns) as DNSResolver;
  try {
    const message = [
      "From: Alice <alice@sender.example>",
      "To: bob@rcpt.example",
      "Subject: signed over our resolver",
      "Date: Fri, 2 Jan 2026 10:00:00 +0000",
      "Message-ID: <1@sender.example>",
      "",
      "Hello.",
      "",
    ].join("\r\n");
    // Two signatures in one call (signatureData); the type wants the single-signature fields too.
    const signed = await dkimSign(message, {
      canonicalization: "relaxed/relaxed",
      signatureData: [
        { signingDomain: "sender.example", selector: "rsa", privateKey: k.rsaPrivate },
        { signingDomain: "sender.example", selector: "ed", privateKey: k.edPrivate },
      ],
    } as Parameters<typeof dkimSign>[1]);
    if (signed.errors.length) throw new Error(`dkimSign failed: ${JSON.stringify(signed.errors)}`);
    const withSignatures = signed.signatures + message;

    const check = (raw: string, ip: string, sender: string) =>
      authenticate(raw, {
        ip,
        helo: "mail.sender.example",
        sender,
        mta: "mx.rcpt.example",
        resolver,
        disableArc: true,
        disableBimi: true,
      });
    const good = await check(withSignatures, SENDER_IP, "alice@sender.example");
    const spoofed = await check(message, "198.51.100.7", "alice@sender.example");
    const temp = await check(message, SENDER_IP, "alice@broken.example");
    const none = await check(message, SENDER_IP, "alice@nospf.example");
    const missingKey = await check(
      withSignatures.replace(/s=rsa;/, "s=gone;").replace(/s=ed;/, "s=gone2;"),
      SENDER_IP,
      "alice@sender.example",
    );

    // A key in a zone that answers SERVFAIL: the signature cannot be checked now (temperror).
    const brokenSigned = await dkimSign(message, {
      signatureData: [{ signingDomain: "broken.example", selector: "rsa", privateKey: k.rsaPrivate }],
    } as Parameters<typeof dkimSign>[1]);
    const keyTemp = await check(brokenSigned.signatures + message, SENDER_IP, "alice@sender.example");

    const spfResult = (r: typeof good) => (r.spf ? r.spf.status.result : "absent");
    return {
      spfPass: spfResult(good),
      spfFail: spfResult(spoofed),
      spfTemperror: spfResult(temp),
      spfNone: spfResult(none),
      dkim: good.dkim.results.map((r) => `${r.signingDomain}/${r.selector}:${r.status.result}`).sort(),
      dkimMissingKey: missingKey.dkim.results.map((r) => r.status.result).join(","),
      dkimTemperror: keyTemp.dkim.results.map((r) => r.status.result).join(","),
      dmarc: good.dmarc ? good.dmarc.status.result : "absent",
      dmarcSpoofed: spoofed.dmarc ? spoofed.dmarc.status.result : "absent",
      header: good.headers,
    };
  } finally {
    dns.close();
    await knot.stop();
  }
}

if (import.meta.main) {
  const summary = await runMailauthScenario();
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
