/**
 * The pure parts of the inbound defence, table-driven and with hostile input: rspamd replies, list
 * zone settings, DNS list names and codes, the X-Spam-* fields and their reading back, rate windows.
 */
import { describe, expect, test } from "bun:test";
import { parseListZones } from "../../src/config.ts";
import { addressQueryName, isErrorCode } from "../../src/spam/dnsbl.ts";
import { greylistNet } from "../../src/spam/greylist.ts";
import { applyVerdict, spamViewOf } from "../../src/spam/headers.ts";
import { forgedHelo, heloSymbols } from "../../src/spam/helo.ts";
import { RateCounter } from "../../src/spam/rate.ts";
import { parseRspamdReply, RspamdReplyError } from "../../src/spam/rspamd-reply.ts";
import { builtinVerdict } from "../../src/spam/score.ts";

describe("parseRspamdReply()", () => {
  test.each([
    ["not JSON", "<html>502 Bad Gateway</html>"],
    ["an array", "[1,2]"],
    ["an error object", '{"error":"Unauthorized"}'],
    ["an unknown action", '{"action":"delete everything","score":1}'],
    ["no score", '{"action":"no action"}'],
    ["a score that is not finite", '{"action":"no action","score":"1e999"}'],
  ])("refuses %s", (_, body) => {
    expect(() => parseRspamdReply(body)).toThrow(RspamdReplyError);
  });

  test("reads action, score, symbols, subject and milter changes", () => {
    const v = parseRspamdReply(
      JSON.stringify({
        action: "rewrite subject",
        score: 8.5,
        required_score: 15,
        subject: "*** SPAM *** hi",
        symbols: { A: { name: "A", score: 1 }, B: { name: "B", score: 7.5, options: ["x", "y"] } },
        milter: {
          add_headers: {
            "X-One": "1",
            "X-Two": [
              { value: "b", order: 2 },
              { value: "a", order: 1 },
            ],
          },
          remove_headers: { "X-Old": 0, "X-Nth": -1 },
        },
      }),
    );
    expect(v).toMatchObject({ checker: "rspamd", action: "rewrite subject", score: 8.5, required: 15 });
    expect(v.subject).toBe("*** SPAM *** hi");
    expect(v.symbols).toEqual([
      { name: "B", score: 7.5, detail: "x, y" },
      { name: "A", score: 1 },
    ]);
    expect(v.milter).toEqual({
      add: [
        ["X-One", "1"],
        ["X-Two", "a"],
        ["X-Two", "b"],
      ],
      remove: [
        ["X-Old", 0],
        ["X-Nth", -1],
      ],
    });
  });

  test("header names that are not names and values with line breaks cannot inject header lines", () => {
    const v = parseRspamdReply(
      JSON.stringify({
        action: "add header",
        score: 7,
        milter: { add_headers: { "Bad Name:": "x", "X-Ok": "a\r\nBcc: victim@example.org" } },
      }),
    );
    expect(v.milter!.add).toEqual([["X-Ok", "a Bcc: victim@example.org"]]);
  });
});

describe("parseListZones()", () => {
  test("zones with and without weights", () => {
    expect(parseListZones("zen.spamhaus.org, list.dnswl.org:-5 ,bl.test:2.5")).toEqual([
      { zone: "zen.spamhaus.org", weight: 5 },
      { zone: "list.dnswl.org", weight: -5 },
      { zone: "bl.test", weight: 2.5 },
    ]);
    expect(parseListZones("")).toEqual([]);
  });

  test.each(["localhost", "bad zone.example", "zen.spamhaus.org:heavy"])("refuses %j", (text) => {
    expect(() => parseListZones(text)).toThrow();
  });
});

describe("DNS list names and answers (RFC 5782)", () => {
  test("IPv4 octets and IPv6 nibbles are reversed before the zone", () => {
    expect(addressQueryName("192.0.2.99", "bl.test")).toBe("99.2.0.192.bl.test");
    expect(addressQueryName("2001:db8::1", "bl.test")).toBe(
      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test",
    );
    expect(addressQueryName("not an address", "bl.test")).toBeUndefined();
  });

  test.each([
    ["127.0.0.2", false],
    ["127.0.0.1", true],
    ["127.0.0.255", true],
    ["127.255.255.252", true],
    ["127.255.255.254", true],
    ["127.255.255.255", true],
  ])("%s is an error code: %p", (address, error) => {
    expect(isErrorCode(address)).toBe(error);
  });
});

describe("HELO checks", () => {
  const facts = { clientAddress: "192.0.2.7", localAddress: "198.51.100.1", hostname: "mx.example.com" };
  test.each([
    ["mx.example.com", "our host name"],
    ["MX.EXAMPLE.COM.", "our host name"],
    ["[198.51.100.1]", "our address"],
    ["198.51.100.1", "our address"],
    ["mail.sender.example", undefined],
    ["[192.0.2.7]", undefined],
  ])("forgedHelo(%j) is %p", (helo, reason) => {
    expect(forgedHelo({ ...facts, helo })).toBe(reason);
  });

  test("a client on our own address may name it", () => {
    expect(forgedHelo({ ...facts, clientAddress: "198.51.100.1", helo: "[198.51.100.1]" })).toBeUndefined();
  });

  test.each([
    ["", "HELO_MISSING"],
    ["[192.0.2.8]", "HELO_IP_MISMATCH"],
    ["192.0.2.7", "HELO_BARE_IP"],
    ["localhost", "HELO_NOT_FQDN"],
  ])("heloSymbols(%j) names %s", (helo, name) => {
    expect(heloSymbols({ ...facts, helo }).map((s) => s.name)).toEqual([name]);
  });
});

describe("X-Spam-* fields", () => {
  const verdict = builtinVerdict(
    [
      { name: "RDNS_NONE", score: 1.5 },
      { name: "RCVD_IN_DNSBL", score: 5, detail: "bl.test 127.0.0.2" },
      ...Array.from({ length: 12 }, (_, i) => ({ name: `FILLER_SYMBOL_${i}`, score: 0 })),
    ],
    { junk: 5, reject: 10 },
  );

  test("applyVerdict() replaces forged fields, keeps the rest, and spamViewOf() reads them back", () => {
    const message = Buffer.from(
      "X-Spam-Score: -50 / 1\r\nX-Spam-Checker: rspamd\r\nSubject: hi\r\nX-Spam-Status: someone else's\r\n\r\nbody\r\n",
    );
    const out = applyVerdict(message, verdict, true);
    const text = out.toString();
    expect(text).not.toContain("-50 / 1");
    expect(text).toContain("X-Spam-Status: someone else's\r\n");
    expect(text.endsWith("Subject: hi\r\nX-Spam-Status: someone else's\r\n\r\nbody\r\n")).toBe(true);
    // Folded under 78 characters a line.
    const header = text.slice(0, text.indexOf("\r\n\r\n"));
    expect(header.split("\r\n").every((l) => l.length <= 78)).toBe(true);
    const view = spamViewOf(out.subarray(0, text.indexOf("\r\n\r\n") + 4));
    expect(view).toEqual({
      checker: "builtin",
      action: "add header",
      score: 6.5,
      required: 10,
      symbols: verdict.symbols.map((s) => (s.detail ? { ...s } : { name: s.name, score: s.score })),
    });
  });

  test("a rewritten subject replaces the Subject field; a non-ASCII one is RFC 2047-encoded", () => {
    const out = applyVerdict(
      Buffer.from("From: a@b.example\r\nSubject: old\r\n\r\nbody"),
      { ...verdict, subject: "*** SPAM *** grüße" },
      true,
    ).toString();
    expect(out).not.toContain("Subject: old");
    expect(out).toContain(`Subject: =?UTF-8?B?${Buffer.from("*** SPAM *** grüße").toString("base64")}?=\r\n`);
  });

  test("a header without our fields has no verdict", () => {
    expect(spamViewOf(Buffer.from("Subject: hi\r\n\r\n"))).toBeNull();
  });
});

describe("RateCounter", () => {
  test("counts per client over a sliding minute", () => {
    let now = 0;
    const rate = new RateCounter(3, { now: () => now });
    expect([rate.hit("a"), rate.hit("a"), rate.hit("a"), rate.hit("a")]).toEqual([true, true, true, false]);
    expect(rate.hit("b")).toBe(true);
    now = 60_000;
    // The last minute still weighs fully at its end.
    expect(rate.hit("a")).toBe(false);
    now = 150_000;
    expect(rate.hit("a")).toBe(true);
  });

  test("forgets the least recently seen client past its bound", () => {
    const rate = new RateCounter(1, { maxClients: 2 });
    rate.hit("a");
    rate.hit("b");
    rate.hit("c");
    expect(rate.tracked).toBe(2);
    expect(rate.hit("a")).toBe(true);
  });

  test("0 means no limit", () => {
    const rate = new RateCounter(0);
    for (let i = 0; i < 100; i++) expect(rate.hit("a")).toBe(true);
    expect(rate.tracked).toBe(0);
  });
});

describe("greylistNet()", () => {
  test.each([
    ["192.0.2.77", "192.0.2.0/24"],
    ["::ffff:192.0.2.77", "192.0.2.0/24"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
  ])("%s is in %s", (address, net) => {
    expect(greylistNet(address)).toBe(net);
  });
});
