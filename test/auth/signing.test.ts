/**
 * Outgoing mail is DKIM-signed once, when it is queued (RFC 6376, RFC 8463), end to end: A signs what
 * its users submit (587, 465, and 25 with AUTH) and the DSNs it sends to remote senders; B stores
 * what arrives; the stored bytes at B verify with mailauth over our resolver and with Debian's
 * dkimpy, both against the keys A's own /dns endpoint published in Knot. 8-bit bodies are made
 * quoted-printable before signing; a corrupt key row leaves the other key signing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import nodemailer from "nodemailer";
import { parseMessage } from "../../src/mime/mod.ts";
import { decodeQuotedPrintable } from "../../src/mime/transfer.ts";
import { messageIngest, queueList } from "../../src/store/mod.ts";
import { ALICE, arrival, type Pair, queueState, signatureTags, startPair, submit } from "./pair.ts";
import { dkimpyVerdicts, mailauthVerdicts, type Verdict } from "./verifiers.ts";

let pair: Pair;

beforeAll(async () => {
  pair = await startPair();
  await pair.publish();
}, 60_000);

afterAll(async () => {
  await pair?.close();
});

interface KeyJson {
  selector: string;
  algorithm: string;
  state: string;
}

async function activeSelectors(): Promise<string[]> {
  const res = await pair.a.api("/api/v1/domains/a.example/dkim");
  const { items } = (await res.json()) as { items: KeyJson[] };
  return items
    .filter((k) => k.state === "active")
    .sort((x, y) => x.algorithm.localeCompare(y.algorithm))
    .map((k) => k.selector);
}

/** Both verifiers' verdicts on a message as B stored it. */
async function verdicts(raw: Uint8Array): Promise<{ mailauth: Verdict[]; dkimpy: Verdict[] }> {
  return {
    mailauth: await mailauthVerdicts(raw, pair.knot.server),
    dkimpy: await dkimpyVerdicts(raw, pair.knot.server),
  };
}

function passes(selectors: string[]) {
  const expected = [
    { domain: "a.example", selector: selectors[0]!, algorithm: "ed25519-sha256", result: "pass" },
    { domain: "a.example", selector: selectors[1]!, algorithm: "rsa-sha256", result: "pass" },
  ];
  return { mailauth: expected, dkimpy: expected };
}

const message = (subject: string, body = "Hello Bob.", extra: string[] = []) =>
  [
    "From: Alice <alice@a.example>",
    "To: Bob <bob@example.org>",
    `Subject: ${subject}`,
    "Date: Fri, 2 Jan 2026 10:00:00 +0000",
    ...extra,
    "",
    body,
    "",
  ].join("\r\n");

describe("mail from authenticated users", () => {
  test("a message submitted on 587 reaches B signed by a.example with RSA and Ed25519; both verifiers pass", async () => {
    expect(await submit(pair.a.ports.submission!, ALICE, ["bob@example.org"], message("signed 587"))).toBe(
      250,
    );
    const raw = await arrival(pair.b, "bob@example.org", (r) => r.includes("Subject: signed 587"));
    const sigs = signatureTags(raw);
    expect(sigs.map((s) => s.a).sort()).toEqual(["ed25519-sha256", "rsa-sha256"]);
    // The signatures sit below A's Return-Path, which A's delivery still strips (RFC 5321 §4.4).
    expect(raw.toString("latin1").match(/^Return-Path:/gim)).toHaveLength(1);
    for (const s of sigs) {
      expect(s).toMatchObject({ d: "a.example", c: "relaxed/relaxed" });
      // RFC 6376 §8.15: From, To, Subject, Date listed once more than they occur.
      expect(s.h!.split(":").filter((n) => n.toLowerCase() === "from")).toHaveLength(2);
      expect(s.h!.split(":").filter((n) => n.toLowerCase() === "subject")).toHaveLength(2);
      expect(s.h!.toLowerCase()).not.toContain("received");
    }
    expect(await verdicts(raw)).toEqual(passes(await activeSelectors()));
  }, 30_000);

  test("a message submitted on 465 (implicit TLS, nodemailer) and on 25 with AUTH is signed the same way", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: pair.a.ports.smtps!,
      secure: true,
      auth: { user: ALICE.user, pass: ALICE.password },
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({
      envelope: { from: ALICE.user, to: ["bob@example.org"] },
      raw: message("signed 465"),
    });
    transport.close();
    expect(await submit(pair.a.ports.smtp!, ALICE, ["bob@example.org"], message("signed 25"))).toBe(250);
    const selectors = await activeSelectors();
    for (const subject of ["signed 465", "signed 25"]) {
      const raw = await arrival(pair.b, "bob@example.org", (r) => r.includes(`Subject: ${subject}`));
      expect(await verdicts(raw)).toEqual(passes(selectors));
    }
  }, 30_000);

  test("mail for local recipients only is stored unsigned; signing is for what leaves", async () => {
    expect(await submit(pair.a.ports.submission!, ALICE, [ALICE.user], message("to myself"))).toBe(250);
    const raw = await arrival(pair.a, ALICE.user, (r) => r.includes("Subject: to myself"));
    expect(signatureTags(raw)).toEqual([]);
  });

  test("signing happens once, at queue time: the sender's own copy and B's carry the same signatures", async () => {
    expect(
      await submit(pair.a.ports.submission!, ALICE, [ALICE.user, "bob@example.org"], message("signed once")),
    ).toBe(250);
    const atA = await arrival(pair.a, ALICE.user, (r) => r.includes("Subject: signed once"));
    const atB = await arrival(pair.b, "bob@example.org", (r) => r.includes("Subject: signed once"));
    const values = (raw: Uint8Array) => signatureTags(raw).map((s) => s.b);
    expect(values(atA)).toHaveLength(2);
    expect(values(atB)).toEqual(values(atA));
  });
});

describe("8-bit mail", () => {
  test("an 8bit UTF-8 body is made quoted-printable before signing, verifies at B and decodes to the same text", async () => {
    const text = "Grüße aus München – “quoted” = 100 €";
    const raw8 = message("eight bit", text, [
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
    ]);
    expect(await submit(pair.a.ports.submission!, ALICE, ["bob@example.org"], raw8)).toBe(250);
    const raw = await arrival(pair.b, "bob@example.org", (r) => r.includes("Subject: eight bit"));
    const parsed = parseMessage(raw);
    expect(parsed.structure.encoding).toBe("QUOTED-PRINTABLE");
    expect(raw.subarray(parsed.headerEnd).some((b) => b > 0x7f)).toBe(false);
    const decoded = Buffer.from(decodeQuotedPrintable(raw.subarray(parsed.headerEnd))).toString("utf8");
    expect(decoded).toBe(`${text}\r\n`);
    expect(await verdicts(raw)).toEqual(passes(await activeSelectors()));
  }, 30_000);
});

describe("DSNs", () => {
  test("a DSN A sends to a remote sender is signed (d=a.example for MAILER-DAEMON@mx.a.example) and verifies", async () => {
    // A message queued at A on behalf of a remote sender, to a recipient B refuses: A bounces it to B.
    const original = Buffer.from(message("will bounce").replace("bob@example.org", "ghost@example.org"));
    await pair.a.store.write((w) =>
      messageIngest(w, {
        raw: original,
        parsed: parseMessage(original),
        targets: [],
        queue: { sender: "carol@example.org", recipients: [{ address: "ghost@example.org" }] },
      }),
    );
    // Stored behind the runner's back: ask for the attempt now, as an administrator would.
    const [item] = await queueList(pair.a.store.read, { limit: 10 });
    expect((await pair.a.api(`/api/v1/queue/${item!.id}/retry`, { method: "POST" })).status).toBe(204);
    const raw = await arrival(pair.b, "carol@example.org", (r) => r.includes("multipart/report"));
    expect(raw.toString("latin1")).toContain("From: Mail Delivery System <MAILER-DAEMON@mx.a.example>");
    expect(await verdicts(raw)).toEqual(passes(await activeSelectors()));
    await queueState(pair.a, (items) => (items.length === 0 ? true : undefined));
  }, 30_000);
});

describe("a malformed stored key", () => {
  test("a corrupt RSA key row does not stop signing: the Ed25519 key alone signs, and verifies", async () => {
    const [row] = await pair.a.store.execute(
      "SELECT id, private_key FROM dkim_keys WHERE algorithm = 'rsa-sha256' AND state = 'active'",
    );
    const id = Number(row!.id);
    const pem = String(row!.private_key);
    await pair.a.store.execute(
      `UPDATE dkim_keys SET private_key = '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----' WHERE id = ${id}`,
    );
    try {
      expect(await submit(pair.a.ports.submission!, ALICE, ["bob@example.org"], message("half signed"))).toBe(
        250,
      );
      const raw = await arrival(pair.b, "bob@example.org", (r) => r.includes("Subject: half signed"));
      expect(signatureTags(raw).map((s) => s.a)).toEqual(["ed25519-sha256"]);
      const [ed] = await activeSelectors();
      const expected = [{ domain: "a.example", selector: ed!, algorithm: "ed25519-sha256", result: "pass" }];
      expect(await verdicts(raw)).toEqual({ mailauth: expected, dkimpy: expected });
    } finally {
      await pair.a.store.execute(`UPDATE dkim_keys SET private_key = '${pem}' WHERE id = ${id}`);
    }
  }, 30_000);
});
