/**
 * The DNS-based checks against a real DNS server (Knot, test/harness/dns-server.ts): DNSBL/DNSWL of
 * the client address, RHSBL of the HELO name and the sender's domain, forward-confirmed reverse DNS,
 * and the HELO forgery check. Source addresses 127.0.0.x play the clients (127.0.0.1 is trusted).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseListZones } from "../../src/config.ts";
import { captureLog } from "../abuse/helpers.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { deliver, testMessage } from "./helpers.ts";

const ALICE = "alice@example.com";
let dns: TestDnsServer;
let rejecting: TestServer;
let scoring: TestServer;
let delayed: TestServer;
const rejectLog = captureLog();

beforeAll(async () => {
  dns = await startDnsServer([
    {
      origin: "bl.test",
      records: [
        { name: "2.0.0.127", type: "A", value: "127.0.0.2" },
        // Not a listing: outside 127/8 (what a resolver that hijacks NXDOMAIN answers).
        { name: "3.0.0.127", type: "A", value: "10.0.0.1" },
        // Not a listing: Spamhaus's "query through a public resolver" error code.
        { name: "4.0.0.127", type: "A", value: "127.255.255.254" },
        { name: "5.0.0.127", type: "A", value: "127.0.0.2" },
      ],
    },
    { origin: "wl.test", records: [{ name: "5.0.0.127", type: "A", value: "127.0.10.2" }] },
    {
      origin: "rhs.test",
      records: [
        { name: "spammy.example", type: "A", value: "127.0.0.2" },
        { name: "badsender.example", type: "A", value: "127.0.0.2" },
      ],
    },
    {
      origin: "0.0.127.in-addr.arpa",
      records: [
        { name: "6", type: "PTR", value: "mail.good.example." },
        { name: "7", type: "PTR", value: "liar.good.example." },
      ],
    },
    {
      origin: "good.example",
      records: [
        { name: "mail", type: "A", value: "127.0.0.6" },
        { name: "liar", type: "A", value: "192.0.2.1" },
      ],
    },
  ]);
  const lists = {
    dnsServers: [dns.server],
    dnsbl: parseListZones("bl.test, wl.test:-10"),
    rhsbl: parseListZones("rhs.test"),
  };
  rejecting = await startTestServer(lists, { log: rejectLog.log });
  scoring = await startTestServer({ ...lists, dnsblAction: "score" });
  delayed = await startTestServer({ ...lists, greetDelay: 300 });
  for (const s of [rejecting, scoring, delayed]) await createAccounts(s, [{ address: ALICE }]);
}, 60_000);

afterAll(async () => {
  for (const s of [rejecting, scoring, delayed]) await s?.close();
  await dns?.stop();
});

describe("DNSBL / DNSWL of the client address (MAILROOM_DNSBL_ACTION=reject)", () => {
  test("a listed client is refused at RCPT with 554 5.7.1 naming the list", async () => {
    const reply = await deliver(rejecting.ports.smtp!, { to: [ALICE], message: testMessage("x", "y") });
    expect(reply.code).toBe(554);
    expect(reply.text).toBe("554 5.7.1 Service unavailable; client [127.0.0.2] blocked using bl.test");
  });

  test("a listed client may still write to postmaster (RFC 5321 §4.5.1)", async () => {
    const reply = await deliver(rejecting.ports.smtp!, {
      to: ["postmaster@example.com"],
      message: testMessage("to postmaster", "please delist me"),
    });
    expect(reply.code).toBe(250);
  });

  test("with a greeting delay the listed client is refused instead of the greeting", async () => {
    const { client, greeting } = await SmtpClient.connect(delayed.ports.smtp!, "127.0.0.1", {
      localAddress: "127.0.0.2",
    });
    expect(greeting.text).toBe("554 5.7.1 Service unavailable; client [127.0.0.2] blocked using bl.test");
    await client.close();
  });

  test("an answer outside 127.0.0.0/8 is not a listing, and is logged", async () => {
    const reply = await deliver(rejecting.ports.smtp!, {
      to: [ALICE],
      localAddress: "127.0.0.3",
      message: testMessage("outside", "y"),
    });
    expect(reply.code).toBe(250);
    const bad = rejectLog.events("spam.dnsbl_bad_answer");
    expect(bad.some((e) => e.zone === "bl.test" && JSON.stringify(e.answers) === '["10.0.0.1"]')).toBe(true);
  });

  test("Spamhaus's error code 127.255.255.254 is not a listing, and is logged", async () => {
    const reply = await deliver(rejecting.ports.smtp!, {
      to: [ALICE],
      localAddress: "127.0.0.4",
      message: testMessage("error code", "y"),
    });
    expect(reply.code).toBe(250);
    const bad = rejectLog.events("spam.dnsbl_bad_answer");
    expect(bad.some((e) => JSON.stringify(e.answers) === '["127.255.255.254"]')).toBe(true);
  });

  test("an allow-list (DNSWL) entry outweighs the block list", async () => {
    const reply = await deliver(rejecting.ports.smtp!, {
      to: [ALICE],
      localAddress: "127.0.0.5",
      message: testMessage("allowed", "y"),
    });
    expect(reply.code).toBe(250);
    const raw = (await mailboxContents(rejecting, ALICE))
      .map((m) => m.raw.toString())
      .find((r) => r.includes("allowed"));
    expect(raw).toMatch(/RCVD_IN_DNSWL\(-10\)\[wl\.test 127\.0\.10\.2\]/);
  });
});

describe("RHSBL of the HELO name and the sender's domain", () => {
  test("a listed HELO name is refused at RCPT", async () => {
    const reply = await deliver(rejecting.ports.smtp!, {
      to: [ALICE],
      localAddress: "127.0.0.9",
      helo: "spammy.example",
      message: testMessage("x", "y"),
    });
    expect(reply.text).toBe("554 5.7.1 Service unavailable; helo name spammy.example blocked using rhs.test");
  });

  test("a listed sender domain is refused at RCPT", async () => {
    const reply = await deliver(rejecting.ports.smtp!, {
      to: [ALICE],
      localAddress: "127.0.0.9",
      from: "someone@badsender.example",
      message: testMessage("x", "y"),
    });
    expect(reply.text).toBe(
      "554 5.7.1 Service unavailable; sender domain badsender.example blocked using rhs.test",
    );
  });
});

describe("the score instead (MAILROOM_DNSBL_ACTION=score)", () => {
  test("a listed client's mail goes to Junk with the listing among its symbols, also in the REST view", async () => {
    const reply = await deliver(scoring.ports.smtp!, { to: [ALICE], message: testMessage("scored", "y") });
    expect(reply.code).toBe(250);
    const res = await scoring.api(`/api/v1/accounts/${ALICE}/mailboxes/Junk/messages`);
    const [item] = ((await res.json()) as { items: Array<{ id: number; subject: string; flags: string[] }> })
      .items;
    expect(item?.subject).toBe("scored");
    expect(item!.flags).toContain("$Junk");
    const view = (await (await scoring.api(`/api/v1/accounts/${ALICE}/messages/${item!.id}`)).json()) as {
      spam: { checker: string; action: string; score: number; symbols: Array<{ name: string }> };
    };
    expect(view.spam.checker).toBe("builtin");
    expect(view.spam.action).toBe("add header");
    expect(view.spam.score).toBeGreaterThanOrEqual(5);
    expect(view.spam.symbols.map((s) => s.name)).toContain("RCVD_IN_DNSBL");
  });
});

describe("forward-confirmed reverse DNS and HELO checks", () => {
  async function symbolsFrom(localAddress: string, helo?: string): Promise<string> {
    const subject = `rdns ${localAddress} ${helo ?? ""}`;
    const reply = await deliver(scoring.ports.smtp!, {
      to: [ALICE],
      localAddress,
      ...(helo ? { helo } : {}),
      message: testMessage(subject, "y"),
    });
    expect(reply.code).toBe(250);
    const raw = (await mailboxContents(scoring, ALICE))
      .map((m) => m.raw.toString())
      .find((r) => r.includes(subject));
    return /X-Spam-Symbols:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)/.exec(raw ?? "")?.[1] ?? "";
  }

  test("a PTR that leads back to the address is confirmed", async () => {
    expect(await symbolsFrom("127.0.0.6")).toContain("RDNS_CONFIRMED(0)[mail.good.example]");
  });

  test("a PTR whose name does not lead back scores RDNS_MISMATCH", async () => {
    expect(await symbolsFrom("127.0.0.7")).toContain("RDNS_MISMATCH(1)[liar.good.example]");
  });

  test("no PTR at all scores RDNS_NONE; a HELO that is not a FQDN scores HELO_NOT_FQDN", async () => {
    const symbols = await symbolsFrom("127.0.0.8", "localhostish");
    expect(symbols).toContain("RDNS_NONE(1.5)");
    expect(symbols).toContain("HELO_NOT_FQDN(1)[localhostish]");
  });

  test("a HELO claiming our host name or our address is refused as forged", async () => {
    for (const helo of ["mx.test.example", "[127.0.0.1]"]) {
      const reply = await deliver(rejecting.ports.smtp!, {
        to: [ALICE],
        localAddress: "127.0.0.9",
        helo,
        message: testMessage("x", "y"),
      });
      expect(reply.text).toBe("554 5.7.1 HELO/EHLO rejected: you are not me");
    }
  });
});
