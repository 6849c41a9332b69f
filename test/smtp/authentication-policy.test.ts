/**
 * The verdict on a checked message (policy.ts), table-driven: DMARC reject/quarantine/none, pct=
 * sampling (RFC 7489 §6.6.4), a temporary failure that defers a reject only when the identifier
 * could have aligned, DMARC temperror with and without a known policy, and SPF fail without DMARC
 * with and without MAILROOM_SPF_REJECT.
 */
import { describe, expect, test } from "bun:test";
import type { DMARCResult } from "mailauth";
import { decide } from "../../src/smtp/authentication/policy.ts";
import type { SpfOutcome } from "../../src/smtp/authentication/spf.ts";
import type { DkimResult } from "../../src/smtp/authentication/types.ts";

/** A DMARC result as mailauth gives it, with the applied record as its hidden property. */
function dmarc(
  result: string,
  policy: string | undefined,
  record: Record<string, unknown> = {},
): DMARCResult {
  const value = {
    status: { result, header: { from: "author.example" } },
    domain: "author.example",
    ...(policy ? { policy } : {}),
    alignment: { spf: { strict: false }, dkim: { strict: false } },
  } as unknown as DMARCResult;
  Object.defineProperty(value, "record", { value: record, enumerable: false });
  return value;
}

const spf = (result: string, domain = "author.example"): SpfOutcome => ({
  mailFrom: { result, domain, info: null },
  helo: null,
});
const dkim = (result: string, domain: string): DkimResult => ({
  result,
  domain,
  selector: "s",
  algorithm: "rsa-sha256",
});

type Case = [string, Parameters<typeof decide>[0], string];
const cases: Case[] = [
  [
    "DMARC pass is delivered",
    { spf: spf("pass"), dkim: [], dmarc: dmarc("pass", "reject"), spfReject: false },
    "deliver",
  ],
  [
    "DMARC fail with p=reject is refused 550 5.7.1",
    { spf: spf("fail"), dkim: [], dmarc: dmarc("fail", "reject"), spfReject: false },
    "550 5.7.1",
  ],
  [
    "DMARC fail with p=quarantine goes to Junk",
    { spf: spf("fail"), dkim: [], dmarc: dmarc("fail", "quarantine"), spfReject: false },
    "junk",
  ],
  [
    "DMARC fail with p=none is delivered",
    { spf: spf("fail"), dkim: [], dmarc: dmarc("fail", "none"), spfReject: false },
    "deliver",
  ],
  [
    "pct=50, sampled in: reject",
    {
      spf: spf("fail"),
      dkim: [],
      dmarc: dmarc("fail", "reject", { pct: 50 }),
      spfReject: false,
      sample: 49.9,
    },
    "550 5.7.1",
  ],
  [
    "pct=50, sampled out: reject becomes quarantine",
    { spf: spf("fail"), dkim: [], dmarc: dmarc("fail", "reject", { pct: 50 }), spfReject: false, sample: 50 },
    "junk",
  ],
  [
    "pct=0 quarantine, sampled out: none",
    {
      spf: spf("fail"),
      dkim: [],
      dmarc: dmarc("fail", "quarantine", { pct: 0 }),
      spfReject: false,
      sample: 0,
    },
    "deliver",
  ],
  [
    "an SPF temperror of the author's domain defers a reject: 451 4.7.0",
    { spf: spf("temperror"), dkim: [], dmarc: dmarc("fail", "reject"), spfReject: false },
    "451 4.7.0",
  ],
  [
    "a DKIM temperror of a subdomain of the author's defers a reject",
    {
      spf: spf("fail"),
      dkim: [dkim("temperror", "mail.author.example")],
      dmarc: dmarc("fail", "reject"),
      spfReject: false,
    },
    "451 4.7.0",
  ],
  [
    "a DKIM temperror of an unrelated domain does not defer a spoof",
    {
      spf: spf("fail"),
      dkim: [dkim("temperror", "attacker.example.net")],
      dmarc: dmarc("fail", "reject"),
      spfReject: false,
    },
    "550 5.7.1",
  ],
  [
    "an SPF temperror of an unrelated MAIL FROM does not defer a spoof",
    { spf: spf("temperror", "bounce.other.net"), dkim: [], dmarc: dmarc("fail", "reject"), spfReject: false },
    "550 5.7.1",
  ],
  [
    "a DKIM temperror of the author's domain under quarantine: delivered, not put into Junk",
    {
      spf: spf("fail"),
      dkim: [dkim("temperror", "author.example")],
      dmarc: dmarc("fail", "quarantine"),
      spfReject: false,
    },
    "deliver",
  ],
  [
    "an unrelated DKIM temperror under quarantine: Junk all the same",
    {
      spf: spf("fail"),
      dkim: [dkim("temperror", "attacker.example.net")],
      dmarc: dmarc("fail", "quarantine"),
      spfReject: false,
    },
    "junk",
  ],
  [
    "DMARC temperror with a known reject policy: 451 4.7.0",
    { spf: spf("pass", "other.net"), dkim: [], dmarc: dmarc("temperror", "reject"), spfReject: false },
    "451 4.7.0",
  ],
  [
    "DMARC temperror with no policy known: delivered",
    { spf: spf("temperror"), dkim: [], dmarc: dmarc("temperror", undefined), spfReject: false },
    "deliver",
  ],
  [
    "SPF fail without DMARC: delivered",
    { spf: spf("fail"), dkim: [], dmarc: dmarc("none", undefined), spfReject: false },
    "deliver",
  ],
  [
    "SPF fail without DMARC, MAILROOM_SPF_REJECT: 550 5.7.23",
    { spf: spf("fail"), dkim: [], dmarc: dmarc("none", undefined), spfReject: true },
    "550 5.7.23",
  ],
  [
    "SPF softfail without DMARC, MAILROOM_SPF_REJECT: delivered",
    { spf: spf("softfail"), dkim: [], dmarc: dmarc("none", undefined), spfReject: true },
    "deliver",
  ],
  [
    "SPF temperror without DMARC, MAILROOM_SPF_REJECT: 451 4.7.0",
    { spf: spf("temperror"), dkim: [], dmarc: dmarc("none", undefined), spfReject: true },
    "451 4.7.0",
  ],
  [
    "SPF fail, no From domain at all, MAILROOM_SPF_REJECT: 550 5.7.23",
    { spf: spf("fail"), dkim: [], dmarc: false, spfReject: true },
    "550 5.7.23",
  ],
  [
    "SPF fail with DMARC pass (DKIM aligned), MAILROOM_SPF_REJECT: delivered",
    { spf: spf("fail"), dkim: [], dmarc: dmarc("pass", "reject"), spfReject: true },
    "deliver",
  ],
];

describe("decide()", () => {
  for (const [name, input, expected] of cases)
    test(name, () => {
      const { verdict } = decide(input);
      const shown =
        verdict.action === "refuse"
          ? `${verdict.reply.responseCode} ${verdict.reply.enhancedCode}`
          : verdict.junk
            ? "junk"
            : "deliver";
      expect(shown).toBe(expected);
    });

  test("the recorded DMARC result says what was done with the message", () => {
    expect(
      decide({ spf: spf("fail"), dkim: [], dmarc: dmarc("fail", "quarantine"), spfReject: false }).dmarc,
    ).toEqual({
      result: "fail",
      policy: "quarantine",
      domain: "author.example",
      disposition: "quarantine",
    });
    expect(
      decide({
        spf: spf("fail"),
        dkim: [],
        dmarc: dmarc("fail", "reject", { pct: 0 }),
        spfReject: false,
        sample: 10,
      }).dmarc,
    ).toEqual({ result: "fail", policy: "quarantine", domain: "author.example", disposition: "quarantine" });
  });
});
