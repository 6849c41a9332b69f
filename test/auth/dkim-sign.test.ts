/**
 * dkimSign() (RFC 6376, RFC 8463): relaxed canonicalization as §3.4.5's example has it, the h= list
 * of §5.4.1 with over-signing (§8.15), and signatures — RSA-SHA256 and Ed25519-SHA256 — that two
 * verifiers accept with the keys served by a real DNS server (Knot): mailauth's, and Debian's
 * dkimpy, which shares no code with ours. Tampering after signing breaks them; what relaxed
 * canonicalization forgives does not.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPrivateKey } from "node:crypto";
import fc from "fast-check";
import { dkimSign as mailauthSign } from "mailauth/lib/dkim/sign.js";
import { relaxedBody, relaxedHeader } from "../../src/auth/dkim-canon.ts";
import { dkimGenerationNew } from "../../src/auth/dkim-keys.ts";
import { dkimSign, signedFields } from "../../src/auth/dkim-sign.ts";
import { dkimRecordText } from "../../src/auth/dns-records.ts";
import type { DkimKeyInput } from "../../src/store/mod.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { hasCommand, run } from "../harness/run.ts";
import type { SignScenario } from "./sign-scenario.ts";
import { dkimpyVerdicts, dkimpyVerdictsOfEach, mailauthVerdicts } from "./verifiers.ts";

const DOMAIN = "sign.example";
let knot: TestDnsServer;
let keys: DkimKeyInput[];

beforeAll(async () => {
  keys = await dkimGenerationNew(new Set());
  knot = await startDnsServer([
    {
      origin: DOMAIN,
      records: keys.map((k) => ({ name: `${k.selector}._domainkey`, type: "TXT", value: dkimRecordText(k) })),
    },
    { origin: "deno.example", records: [], negativeTtl: 0 },
  ]);
}, 30_000);

afterAll(async () => {
  await knot?.stop();
});

const signers = () =>
  keys.map((k) => ({ selector: k.selector, algorithm: k.algorithm, key: createPrivateKey(k.privateKey) }));

const MESSAGE = [
  "Received: from client.example by mx.sign.example; Fri, 2 Jan 2026 10:00:01 +0000",
  "From: Alice <alice@sign.example>",
  "To: bob@rcpt.example,",
  "  carol@rcpt.example",
  "Subject:   spaced    out  ",
  "Date: Fri, 2 Jan 2026 10:00:00 +0000",
  "Message-ID: <1@sign.example>",
  "",
  "Hello  world. ",
  "",
  "Bye.",
  "",
  "",
].join("\r\n");

function signed(message = MESSAGE): string {
  return dkimSign(Buffer.from(message), { domain: DOMAIN, signers: signers() }) + message;
}

const passBoth = [
  { result: "pass", algorithm: "ed25519-sha256" },
  { result: "pass", algorithm: "rsa-sha256" },
];

describe("relaxed canonicalization", () => {
  test("relaxedHeader() and relaxedBody() give the example of RFC 6376 §3.4.5", () => {
    expect(relaxedHeader("A: X\r\n") + relaxedHeader("B : Y\t\r\n\tZ  \r\n")).toBe("a:X\r\nb:Y Z\r\n");
    expect(Buffer.from(relaxedBody(Buffer.from(" C \r\nD \t E\r\n\r\n\r\n"))).toString()).toBe(
      " C\r\nD E\r\n",
    );
  });

  test("relaxedBody() keeps an empty body empty and ends a last line without CRLF with one", () => {
    expect(relaxedBody(Buffer.from("")).length).toBe(0);
    expect(relaxedBody(Buffer.from("\r\n\r\n")).length).toBe(0);
    expect(Buffer.from(relaxedBody(Buffer.from("end"))).toString()).toBe("end\r\n");
    expect(Buffer.from(relaxedBody(Buffer.from("bare\nlf \n"))).toString()).toBe("bare\r\nlf\r\n");
  });
});

describe("h= (RFC 6376 §5.4.1)", () => {
  const field = (name: string, value = "x") => ({ name, text: `${name}: ${value}\r\n` });

  test("signedFields() lists each over-signed field once more than it occurs, and skips trace fields", () => {
    const { names } = signedFields([
      field("Received"),
      field("From"),
      field("To"),
      field("To"),
      field("Sender"),
      field("X-Mailer"),
    ]);
    const count = (n: string) => names.filter((x) => x === n).length;
    expect(count("From")).toBe(2);
    expect(count("To")).toBe(3);
    expect(count("Subject")).toBe(1);
    expect(count("Content-Type")).toBe(1);
    expect(count("Sender")).toBe(1);
    expect(count("Received") + count("X-Mailer") + count("List-Id")).toBe(0);
  });

  test("signedFields() covers instances from the bottom up (RFC 6376 §5.4.2)", () => {
    const { canonical } = signedFields([field("To", "first"), field("To", "second")]);
    expect(canonical.indexOf("to:second")).toBeLessThan(canonical.indexOf("to:first"));
  });

  test("signedFields() covers at most 50 instances of one field", () => {
    const { names } = signedFields(Array.from({ length: 5_000 }, () => field("To")));
    expect(names.filter((n) => n === "To").length).toBe(51);
  });
});

describe("dkimSign()", () => {
  test("dkimSign() makes one relaxed/relaxed signature per key with the h= list and d= asked for", () => {
    const fields = dkimSign(Buffer.from(MESSAGE), { domain: DOMAIN, signers: signers() });
    const sigs = fields.split(/\r\n(?=DKIM-Signature:)/);
    expect(sigs).toHaveLength(2);
    for (const sig of sigs) {
      const unfolded = sig.replace(/\r\n\t/g, " ");
      const h = /\sh=([^;]+);/.exec(unfolded)![1]!.replace(/\s+/g, "");
      expect(unfolded).toContain("c=relaxed/relaxed;");
      expect(unfolded).toContain(`d=${DOMAIN};`);
      expect(h).toStartWith("From:From:Reply-To:Subject:Subject:Date:Date:Message-ID:Message-ID:To:To:Cc:");
      // RFC 5322 §2.1.1: folded lines stay within 78 characters.
      for (const line of sig.split("\r\n")) expect(line.length).toBeLessThanOrEqual(78);
    }
    expect(fields).toContain(`a=rsa-sha256; c=relaxed/relaxed; d=${DOMAIN};\r\n\ts=${keys[0]!.selector};`);
    expect(fields).toContain(`s=${keys[1]!.selector};`);
  });

  test("dkimSign() computes the body hash mailauth's own signer computes", async () => {
    const ours = /bh=([^;]+);/.exec(signed())![1];
    const theirs = await mailauthSign(MESSAGE, {
      canonicalization: "relaxed/relaxed",
      signatureData: [
        { signingDomain: DOMAIN, selector: keys[1]!.selector, privateKey: keys[1]!.privateKey },
      ],
    } as Parameters<typeof mailauthSign>[1]);
    expect(/bh=([^;]+);/.exec(theirs.signatures.replace(/\r\n\s+/g, ""))![1]).toBe(ours!);
  });

  test("both signatures verify with mailauth and with dkimpy against the keys in DNS", async () => {
    const raw = signed();
    expect(await mailauthVerdicts(raw, knot.server)).toMatchObject(passBoth);
    expect(await dkimpyVerdicts(raw, knot.server)).toMatchObject(passBoth);
  }, 30_000);

  test("signatures survive what relaxed canonicalization forgives: refolding and white space", async () => {
    const raw = signed()
      .replace("Subject:   spaced    out  ", "Subject: spaced out")
      .replace("Hello  world. ", "Hello \t world.")
      .replace("To: bob@rcpt.example,\r\n  carol", "To: bob@rcpt.example,\r\n\tcarol");
    expect(await mailauthVerdicts(raw, knot.server)).toMatchObject(passBoth);
    expect(await dkimpyVerdicts(raw, knot.server)).toMatchObject(passBoth);
  }, 30_000);

  test("an added From:, an added Reply-To:, an edited Subject: or body: no signature passes", async () => {
    const base = signed();
    const tampered = [
      // Over-signing at work: a second From (or a first Reply-To) added after signing is caught.
      base.replace("From: Alice", "From: Mallory <m@evil.example>\r\nFrom: Alice"),
      base.replace("Date:", "Reply-To: m@evil.example\r\nDate:"),
      base.replace("spaced    out", "spaced    in"),
      base.replace("Bye.", "Send money."),
    ];
    for (const raw of tampered) {
      const verdicts = [
        ...(await mailauthVerdicts(raw, knot.server)),
        ...(await dkimpyVerdicts(raw, knot.server)),
      ];
      // mailauth calls a message with two From fields "neutral", dkimpy "fail": neither passes.
      expect(verdicts).toHaveLength(4);
      expect(verdicts.filter((v) => v.result === "pass")).toEqual([]);
    }
  }, 60_000);

  test("a message with 8-bit header octets (RFC 6532) is signed over its bytes as they are", async () => {
    const raw = signed(MESSAGE.replace("Alice <", "Zoë Ünal <"));
    expect(await mailauthVerdicts(raw, knot.server)).toMatchObject(passBoth);
    expect(await dkimpyVerdicts(raw, knot.server)).toMatchObject(passBoth);
  }, 30_000);
});

describe("generated messages", () => {
  /** Header values and body lines with the white space relaxed canonicalization has to get right. */
  const blank = fc.constantFrom(" ", "\t", "  ", " \t ", "");
  const word = fc.stringMatching(/^[A-Za-z0-9.,!?<>@=-]{1,12}$/);
  const text = fc
    .array(fc.tuple(blank, word, blank), { minLength: 1, maxLength: 6 })
    .map((parts) => parts.map(([a, w, b]) => `${a}${w}${b}`).join(""));
  const folded = fc
    .array(text, { minLength: 1, maxLength: 3 })
    .map((lines) => lines.join("\r\n "))
    .filter((v) => v.trim() !== "");
  const body = fc.array(fc.oneof(text, fc.constant(""), blank), { maxLength: 12 });

  test("messages with random white space, folding, repeated fields and trailing blank lines verify with both", async () => {
    const messages = fc
      .sample(
        fc.record({
          subject: folded,
          to: fc.array(folded, { minLength: 1, maxLength: 3 }),
          extra: fc.array(fc.tuple(fc.constantFrom("Cc", "Reply-To", "X-Note", "Received"), folded), {
            maxLength: 4,
          }),
          body,
          // Over SMTP a message always ends with CRLF (RFC 5321 §4.1.1.4). Without one, verifiers
          // disagree on a last line of blanks (dkimpy keeps one; mailauth and RFC 6376 §3.4.4 do not).
          ending: fc.constantFrom("\r\n", "\r\n\r\n\r\n", " \t\r\n"),
        }),
        { numRuns: 20, seed: 611 },
      )
      .map((m) => {
        const header = [
          "From: Alice <alice@sign.example>",
          `Subject:${m.subject}`,
          ...m.to.map((t) => `To:${t}`),
          ...m.extra.map(([name, value]) => `${name}:${value}`),
        ];
        return signed(`${header.join("\r\n")}\r\n\r\n${m.body.join("\r\n")}${m.ending}`);
      });
    const ours = await Promise.all(messages.map((raw) => mailauthVerdicts(raw, knot.server)));
    const theirs = await dkimpyVerdictsOfEach(messages, knot.server);
    for (const [i, raw] of messages.entries()) {
      expect({ raw, verdicts: ours[i] }).toMatchObject({ raw, verdicts: passBoth });
      expect({ raw, verdicts: theirs[i] }).toMatchObject({ raw, verdicts: passBoth });
    }
  }, 60_000);
});

describe("under Deno 2", () => {
  test("keys generated and a message converted and signed under Deno verify with mailauth and dkimpy", async () => {
    if (!(await hasCommand("deno"))) {
      console.warn("deno is not installed (npm install -g deno@2.9.6): skipped");
      return;
    }
    const result = await run(
      "deno",
      ["run", "-A", "--node-modules-dir=manual", "test/auth/sign-scenario.ts", "deno.example"],
      { timeoutMs: 90_000, env: { DENO_NO_UPDATE_CHECK: "1" } },
    );
    expect(result.code).toBe(0);
    const scenario = JSON.parse(result.stdout.trim()) as SignScenario;
    await knot.setZone({
      origin: "deno.example",
      records: scenario.records.map((r) => ({
        name: `${r.selector}._domainkey`,
        type: "TXT",
        value: r.text,
      })),
    });
    const raw = Buffer.from(scenario.message, "latin1");
    // Converted to 7-bit before signing: only the header (Zoë in From:) keeps 8-bit octets.
    expect(raw.subarray(raw.indexOf("\r\n\r\n")).some((b) => b > 0x7f)).toBe(false);
    expect(await mailauthVerdicts(raw, knot.server)).toMatchObject(passBoth);
    expect(await dkimpyVerdicts(raw, knot.server)).toMatchObject(passBoth);
  }, 120_000);
});
