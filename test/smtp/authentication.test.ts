/**
 * Checking incoming mail end to end, over real sockets, with a real DNS server (Knot) serving the
 * senders' SPF, DKIM, DMARC and ARC records: two Mailroom instances, A (a.example) routed to B
 * (b.example), and mail sent to B's port 25 from chosen loopback addresses (the address SPF
 * judges). B verifies SPF (MAIL FROM and HELO), every DKIM signature (RSA and Ed25519), the ARC
 * chain and DMARC, prepends one Authentication-Results with its host name, applies the policy
 * (reject 550 5.7.1, quarantine into Junk with $Junk, temperror 451 4.7.0, pct/sp/np), and stores
 * the results for the REST view. Until A signs its own mail, test messages are signed here with
 * mailauth's dkimSign, with keys published in the zone.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import {
  arcSeal,
  arrival,
  authenticationOf,
  authenticationResultsFields,
  type DkimKey,
  ed25519Key,
  message,
  rsaKey,
  sendFrom,
  sign,
  spamSymbolsOf,
  stored,
} from "./authentication-helpers.ts";
import { submit } from "./outbound-helpers.ts";

const GOOD_IP = "127.0.0.2";
const SPOOF_IP = "127.0.0.66";

let knot: TestDnsServer;
let a: TestServer;
let b: TestServer;
let strictB: TestServer;
const keys: Record<string, DkimKey> = {};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  keys.rsa = rsaKey();
  keys.ed = ed25519Key();
  keys.arc = rsaKey();
  knot = await startDnsServer([
    {
      origin: "a.example",
      records: [
        // A's queue connects from 127.0.0.1; the test's "good" sender is 127.0.0.2.
        { name: "@", type: "TXT", value: `v=spf1 ip4:127.0.0.1 ip4:${GOOD_IP} -all` },
        { name: "mail", type: "TXT", value: `v=spf1 ip4:${GOOD_IP} -all` },
        { name: "rsa._domainkey", type: "TXT", value: keys.rsa.record },
        { name: "ed._domainkey", type: "TXT", value: keys.ed.record },
        { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=reject; rua=mailto:dmarc@a.example" },
      ],
    },
    {
      origin: "b.example",
      records: [
        { name: "@", type: "TXT", value: "v=spf1 -all" },
        // B's reports go out from <> with HELO mx.b.example: the HELO identity passes SPF (RFC 7208 §2.4).
        { name: "mx", type: "TXT", value: "v=spf1 ip4:127.0.0.1 -all" },
        { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=reject" },
      ],
    },
    {
      origin: "q.example",
      records: [
        { name: "@", type: "TXT", value: `v=spf1 ip4:${GOOD_IP} -all` },
        { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=quarantine" },
      ],
    },
    { origin: "pct.example", records: [{ name: "_dmarc", type: "TXT", value: "v=DMARC1; p=reject; pct=0" }] },
    {
      origin: "sp.example",
      records: [
        { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=none; sp=quarantine; np=reject" },
        { name: "news", type: "A", value: "192.0.2.9" },
      ],
    },
    { origin: "fwd.example", records: [{ name: "arc._domainkey", type: "TXT", value: keys.arc.record }] },
    {
      origin: "temp.example",
      records: [
        { name: "@", type: "TXT", value: "v=spf1 include:broken.example -all" },
        { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=reject" },
      ],
    },
    { origin: "nodmarc.example", records: [{ name: "@", type: "TXT", value: `v=spf1 ip4:${GOOD_IP} -all` }] },
    {
      origin: "tempspf.example",
      records: [{ name: "@", type: "TXT", value: "v=spf1 include:broken.example -all" }],
    },
    { origin: "broken.example", records: [], broken: true },
    // The tree walk (RFC 9989 §4.10) asks _dmarc.example too: the "TLD" answers NXDOMAIN, as one would.
    { origin: "example", records: [] },
  ]);
  const dnsServers = [knot.server];
  // A's SMTP port is chosen first, so that B (started before A) can route a.example to it.
  const aSmtp = await freePort();
  b = await startTestServer({
    hostname: "mx.b.example",
    domain: "b.example",
    dnsServers,
    routes: [{ domain: "a.example", host: "127.0.0.1", port: aSmtp }],
  });
  a = await startTestServer({
    hostname: "mx.a.example",
    domain: "a.example",
    smtpPort: aSmtp,
    dnsServers,
    routes: [{ domain: "b.example", host: "127.0.0.1", port: b.ports.smtp! }],
  });
  strictB = await startTestServer({
    hostname: "mx.strict.example",
    domain: "b.example",
    dnsServers,
    spfReject: true,
  });
  await createAccounts(b, [{ address: "bob@b.example" }, { address: "carol@b.example" }]);
  await createAccounts(a, [{ address: "alice@a.example" }, { address: "dmarc@a.example" }]);
  await createAccounts(strictB, [{ address: "bob@b.example" }]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([a?.close(), b?.close(), strictB?.close()]);
  await knot?.stop();
});

describe("SPF, DKIM and DMARC pass", () => {
  test("a message signed with RSA and Ed25519 from a permitted address passes SPF, both DKIM signatures and DMARC", async () => {
    const raw = await sign(message("Alice <alice@a.example>", "bob@b.example", "signed twice"), [
      { domain: "a.example", selector: "rsa", key: keys.rsa! },
      { domain: "a.example", selector: "ed", key: keys.ed! },
    ]);
    const r = await sendFrom(b.ports.smtp!, {
      address: GOOD_IP,
      helo: "mail.a.example",
      mailFrom: "alice@a.example",
      to: ["bob@b.example"],
      raw,
    });
    expect(r.code).toBe(250);
    const got = await arrival(b, "bob@b.example", "signed twice");
    const fields = authenticationResultsFields(got.raw);
    expect(fields).toHaveLength(1);
    expect(fields[0]).toStartWith("mx.b.example;");
    expect(fields[0]).toContain("dkim=pass header.i=@a.example header.s=rsa header.a=rsa-sha256");
    expect(fields[0]).toContain("dkim=pass header.i=@a.example header.s=ed header.a=ed25519-sha256");
    expect(fields[0]).toContain("spf=pass");
    expect(fields[0]).toContain("smtp.mailfrom=alice@a.example");
    expect(fields[0]).toContain("dmarc=pass");
    // Our field sits above our Received (RFC 8601: a trace field), below Return-Path.
    expect(got.raw.indexOf("Authentication-Results:")).toBeLessThan(
      got.raw.indexOf("Received: from mail.a.example"),
    );
    expect(await authenticationOf(b, "bob@b.example", got.id)).toEqual({
      spf: { result: "pass", domain: "a.example" },
      helo: { result: "pass", domain: "mail.a.example" },
      dkim: [
        { result: "pass", domain: "a.example", selector: "rsa", algorithm: "rsa-sha256" },
        { result: "pass", domain: "a.example", selector: "ed", algorithm: "ed25519-sha256" },
      ],
      dmarc: { result: "pass", policy: "reject", domain: "a.example", disposition: "none" },
      arc: { result: "none" },
    });
  });

  test("the built-in spam score sees the results: SPF, DKIM and DMARC pass lower it, its fields sit below Authentication-Results and Received", async () => {
    const raw = await sign(message("Alice <alice@a.example>", "bob@b.example", "scored pass"), [
      { domain: "a.example", selector: "ed", key: keys.ed! },
    ]);
    const r = await sendFrom(b.ports.smtp!, {
      address: GOOD_IP,
      helo: "mail.a.example",
      mailFrom: "alice@a.example",
      to: ["bob@b.example"],
      raw,
    });
    expect(r.code).toBe(250);
    const got = await arrival(b, "bob@b.example", "scored pass");
    expect(await spamSymbolsOf(b, "bob@b.example", got.id)).toEqual(
      expect.arrayContaining(["SPF_PASS", "DKIM_PASS", "DMARC_PASS"]),
    );
    // RFC 8601 §5: one field of ours; trace fields first, then the verdict, then the sender's header.
    expect(authenticationResultsFields(got.raw)).toHaveLength(1);
    const order = ["Return-Path:", "Authentication-Results:", "Received:", "X-Spam-Checker:", "From:"];
    const at = order.map((name) => got.raw.indexOf(`${name} `));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
  });

  test("mail A relays to B (submitted on A, unsigned) passes SPF for A's address and DMARC through SPF alignment", async () => {
    const sent = await submit(a, {
      user: "alice@a.example",
      to: ["bob@b.example"],
      raw: message("alice@a.example", "bob@b.example", "relayed by A"),
    });
    expect(sent.ok).toBe(true);
    const got = await arrival(b, "bob@b.example", "relayed by A");
    const auth = (await authenticationOf(b, "bob@b.example", got.id)) as Record<string, unknown>;
    expect(auth.spf).toEqual({ result: "pass", domain: "a.example" });
    expect(auth.dmarc).toEqual({
      result: "pass",
      policy: "reject",
      domain: "a.example",
      disposition: "none",
    });
    expect(authenticationResultsFields(got.raw)).toHaveLength(1);
  });

  test("mail from an authenticated submission is not checked, even from a p=reject domain without SPF", async () => {
    // b.example publishes p=reject and "v=spf1 -all": a check would refuse this. Submission skips it.
    const sent = await submit(b, {
      user: "bob@b.example",
      to: ["carol@b.example"],
      raw: message("bob@b.example", "carol@b.example", "local to local"),
    });
    expect(sent.ok).toBe(true);
    const got = await arrival(b, "carol@b.example", "local to local");
    expect(authenticationResultsFields(got.raw)).toEqual([]);
    expect(await authenticationOf(b, "carol@b.example", got.id)).toBeNull();
  });
});

describe("DMARC policy", () => {
  test("a spoofed message from a p=reject domain is refused with 550 5.7.1 and nothing is stored", async () => {
    const before = (await stored(b, "bob@b.example")).length;
    const r = await sendFrom(b.ports.smtp!, {
      address: SPOOF_IP,
      mailFrom: "ceo@a.example",
      to: ["bob@b.example"],
      raw: message("The CEO <ceo@a.example>", "bob@b.example", "wire the money"),
    });
    expect(r.code).toBe(550);
    expect(r.text).toContain("5.7.1");
    expect(r.text).toContain("DMARC");
    expect((await stored(b, "bob@b.example")).length).toBe(before);
  });

  test("a DKIM signature of another domain does not save a spoofed From (no alignment)", async () => {
    const raw = await sign(message("ceo@a.example", "bob@b.example", "signed by someone else"), [
      { domain: "fwd.example", selector: "arc", key: keys.arc! },
    ]);
    const r = await sendFrom(b.ports.smtp!, {
      address: SPOOF_IP,
      mailFrom: "x@fwd.example",
      to: ["bob@b.example"],
      raw,
    });
    expect(r.code).toBe(550);
  });

  test("a failing message from a p=quarantine domain lands in Junk with $Junk", async () => {
    const r = await sendFrom(b.ports.smtp!, {
      address: SPOOF_IP,
      mailFrom: "news@q.example",
      to: ["bob@b.example"],
      raw: message("news@q.example", "bob@b.example", "quarantined"),
    });
    expect(r.code).toBe(250);
    const got = await arrival(b, "bob@b.example", "quarantined", "Junk");
    expect(got.keywords).toContain("$Junk");
    expect((await stored(b, "bob@b.example")).some((m) => m.raw.includes("Subject: quarantined"))).toBe(
      false,
    );
    const auth = (await authenticationOf(b, "bob@b.example", got.id)) as Record<string, unknown>;
    expect(auth.dmarc).toEqual({
      result: "fail",
      policy: "quarantine",
      domain: "q.example",
      disposition: "quarantine",
    });
    // The built-in score saw the same failures.
    expect(await spamSymbolsOf(b, "bob@b.example", got.id)).toEqual(
      expect.arrayContaining(["SPF_FAIL", "DMARC_FAIL"]),
    );
    const listed = await b.api("/api/v1/accounts/bob%40b.example/mailboxes/Junk/messages");
    const items = ((await listed.json()) as { items: Array<{ subject: string; flags: string[] }> }).items;
    expect(items.find((i) => i.subject === "quarantined")?.flags).toContain("$Junk");
  });

  test("pct=0 samples every failing message out: reject becomes quarantine (RFC 7489 §6.6.4)", async () => {
    const r = await sendFrom(b.ports.smtp!, {
      address: SPOOF_IP,
      mailFrom: "x@pct.example",
      to: ["bob@b.example"],
      raw: message("x@pct.example", "bob@b.example", "sampled out"),
    });
    expect(r.code).toBe(250);
    const got = await arrival(b, "bob@b.example", "sampled out", "Junk");
    expect(((await authenticationOf(b, "bob@b.example", got.id)) as { dmarc: unknown }).dmarc).toEqual({
      result: "fail",
      policy: "quarantine",
      domain: "pct.example",
      disposition: "quarantine",
    });
  });

  test("sp= applies to an existing subdomain, np= to a subdomain that does not exist (RFC 9989 §4.10.1)", async () => {
    const existing = await sendFrom(b.ports.smtp!, {
      address: SPOOF_IP,
      mailFrom: "x@news.sp.example",
      to: ["bob@b.example"],
      raw: message("x@news.sp.example", "bob@b.example", "sp applies"),
    });
    expect(existing.code).toBe(250);
    await arrival(b, "bob@b.example", "sp applies", "Junk");
    const missing = await sendFrom(b.ports.smtp!, {
      address: SPOOF_IP,
      mailFrom: "x@ghost.sp.example",
      to: ["bob@b.example"],
      raw: message("x@ghost.sp.example", "bob@b.example", "np applies"),
    });
    expect(missing.code).toBe(550);
    expect(missing.text).toContain("5.7.1");
  });

  test("a failed DNS lookup that decides a p=reject message is 451 4.7.0 (the client retries)", async () => {
    // temp.example's SPF includes a zone that answers SERVFAIL: SPF temperror, DMARC fails on it.
    const r = await sendFrom(b.ports.smtp!, {
      address: GOOD_IP,
      mailFrom: "x@temp.example",
      to: ["bob@b.example"],
      raw: message("x@temp.example", "bob@b.example", "temperror"),
    });
    expect(r.code).toBe(451);
    expect(r.text).toContain("4.7.0");
  });

  test("a message whose From domain's DNS fails (no policy known) is delivered with dmarc=temperror", async () => {
    const r = await sendFrom(b.ports.smtp!, {
      address: GOOD_IP,
      mailFrom: "x@nodmarc.example",
      to: ["bob@b.example"],
      raw: message("x@broken.example", "bob@b.example", "policy unknown"),
    });
    expect(r.code).toBe(250);
    const got = await arrival(b, "bob@b.example", "policy unknown");
    const auth = (await authenticationOf(b, "bob@b.example", got.id)) as { dmarc: { result: string } };
    expect(auth.dmarc.result).toBe("temperror");
  });
});

describe("SPF without DMARC", () => {
  const spoof = (subject: string) => ({
    address: SPOOF_IP,
    mailFrom: "x@nodmarc.example",
    to: ["bob@b.example"],
    raw: message("x@nodmarc.example", "bob@b.example", subject),
  });

  test("SPF -all failing without a DMARC record is delivered with spf=fail recorded", async () => {
    expect((await sendFrom(b.ports.smtp!, spoof("spf fail kept"))).code).toBe(250);
    const got = await arrival(b, "bob@b.example", "spf fail kept");
    const auth = (await authenticationOf(b, "bob@b.example", got.id)) as Record<string, unknown>;
    expect(auth.spf).toEqual({ result: "fail", domain: "nodmarc.example" });
    expect(auth.dmarc).toEqual({
      result: "none",
      policy: null,
      domain: "nodmarc.example",
      disposition: "none",
    });
    expect(authenticationResultsFields(got.raw)[0]).toContain("spf=fail");
  });

  test("with MAILROOM_SPF_REJECT the same message is refused with 550 5.7.23", async () => {
    const r = await sendFrom(strictB.ports.smtp!, spoof("spf fail refused"));
    expect(r.code).toBe(550);
    expect(r.text).toContain("5.7.23");
  });

  test("with MAILROOM_SPF_REJECT an SPF temperror is 451 4.7.0 and a pass is delivered", async () => {
    const temp = await sendFrom(strictB.ports.smtp!, {
      address: GOOD_IP,
      mailFrom: "x@tempspf.example",
      to: ["bob@b.example"],
      raw: message("x@tempspf.example", "bob@b.example", "spf temperror strict"),
    });
    expect(temp.code).toBe(451);
    const pass = await sendFrom(strictB.ports.smtp!, {
      address: GOOD_IP,
      mailFrom: "x@nodmarc.example",
      to: ["bob@b.example"],
      raw: message("x@nodmarc.example", "bob@b.example", "spf pass strict"),
    });
    expect(pass.code).toBe(250);
  });
});

describe("Authentication-Results", () => {
  test("an incoming Authentication-Results claiming our authserv-id is removed; one of another authserv-id is kept", async () => {
    const forged = [
      "Authentication-Results: mx.b.example; dkim=pass header.d=a.example; dmarc=pass",
      "Authentication-Results: (a comment first) MX.B.EXAMPLE;",
      "\tspf=pass smtp.mailfrom=ceo@a.example",
      "Authentication-Results: relay.other.example; spf=pass smtp.mailfrom=x@q.example",
    ].join("\r\n");
    const r = await sendFrom(b.ports.smtp!, {
      address: GOOD_IP,
      mailFrom: "x@q.example",
      to: ["bob@b.example"],
      raw: message("x@q.example", "bob@b.example", "forged results", forged),
    });
    expect(r.code).toBe(250);
    const got = await arrival(b, "bob@b.example", "forged results");
    const fields = authenticationResultsFields(got.raw);
    expect(fields).toHaveLength(2);
    expect(fields[0]).toStartWith("mx.b.example;");
    expect(fields[0]).toContain("spf=pass");
    expect(fields[1]).toBe("relay.other.example; spf=pass smtp.mailfrom=x@q.example");
    expect(got.raw).not.toContain("dkim=pass header.d=a.example");
    expect(got.raw).not.toContain("(a comment first)");
  });
});

describe("ARC", () => {
  test("a message with a valid ARC set shows arc=pass", async () => {
    const raw = await arcSeal(
      message("list@q.example", "bob@b.example", "arc sealed"),
      "fwd.example",
      "arc",
      keys.arc!,
    );
    const r = await sendFrom(b.ports.smtp!, {
      address: GOOD_IP,
      mailFrom: "list@q.example",
      to: ["bob@b.example"],
      raw,
    });
    expect(r.code).toBe(250);
    const got = await arrival(b, "bob@b.example", "arc sealed");
    expect(authenticationResultsFields(got.raw)[0]).toContain("arc=pass");
    expect(((await authenticationOf(b, "bob@b.example", got.id)) as { arc: unknown }).arc).toEqual({
      result: "pass",
    });
  });

  test("an ARC set broken by a change after sealing shows arc=fail", async () => {
    const raw = (
      await arcSeal(message("list@q.example", "bob@b.example", "arc broken"), "fwd.example", "arc", keys.arc!)
    ).replace("Hello there.", "Hello there, changed.");
    const r = await sendFrom(b.ports.smtp!, {
      address: GOOD_IP,
      mailFrom: "list@q.example",
      to: ["bob@b.example"],
      raw,
    });
    expect(r.code).toBe(250);
    const got = await arrival(b, "bob@b.example", "arc broken");
    expect(((await authenticationOf(b, "bob@b.example", got.id)) as { arc: unknown }).arc).toEqual({
      result: "fail",
    });
  });
});

describe("DMARC aggregate reports", () => {
  test("B counts what it received from a.example, sends the report to a.example's rua, and A shows it parsed", async () => {
    const day = new Date().toISOString().slice(0, 10);
    const counted = await b.api(`/api/v1/reports/dmarc?day=${day}&domain=a.example`);
    const results = ((await counted.json()) as { results: Array<{ disposition: string; count: number }> })
      .results;
    // From the tests above: passes from 127.0.0.2 and A's 127.0.0.1, and rejects from 127.0.0.66.
    expect(results.some((r) => r.disposition === "none")).toBe(true);
    expect(results.some((r) => r.disposition === "reject")).toBe(true);

    const sent = await b.api("/api/v1/reports/dmarc/send", { method: "POST", json: { day } });
    expect(sent.status).toBe(200);
    const reports = (
      (await sent.json()) as { reports: Array<{ policyDomain: string; destinations: unknown[] }> }
    ).reports;
    expect(reports.find((r) => r.policyDomain === "a.example")?.destinations).toEqual([
      { uri: "mailto:dmarc@a.example", result: "queued" },
    ]);

    const got = await arrival(
      a,
      "dmarc@a.example",
      `Report Domain: a.example Submitter: mx.b.example Report-ID: <${day}.a.example@mx.b.example>`,
    );
    expect(got.raw).toContain("Content-Type: application/gzip");
    const shown = await a.api("/api/v1/reports/dmarc?domain=a.example");
    const received = ((await shown.json()) as { received: Array<Record<string, unknown>> }).received;
    expect(received).toHaveLength(1);
    const report = received[0]!.report as {
      orgName: string;
      policy: { domain: string; p: string };
      records: Array<{ sourceIp: string; disposition: string; count: number; headerFrom: string }>;
      summary: { messages: number; passed: number; failed: number };
    };
    expect(received[0]!.orgName).toBe("mx.b.example");
    expect(report.policy).toMatchObject({ domain: "a.example", p: "reject" });
    expect(report.records.some((r) => r.sourceIp === SPOOF_IP && r.disposition === "reject")).toBe(true);
    expect(report.records.some((r) => r.sourceIp === GOOD_IP && r.disposition === "none")).toBe(true);
    expect(report.summary.messages).toBe(results.reduce((n, r) => n + r.count, 0));
    expect(report.summary.failed).toBeGreaterThan(0);
  }, 60_000);
});
