/**
 * Shared by the inbound authentication tests: DKIM keys and their TXT records (RSA 2048 and
 * Ed25519, RFC 8463 §4), signing and ARC sealing with mailauth (the same library a real sender
 * would use; until Mailroom signs its own mail), sending over port 25 from a chosen loopback
 * address (the address SPF judges), and waiting for a message to arrive.
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { sealMessage } from "mailauth";
// The file itself: mailauth has no exports map, and Deno resolves subpaths only with the extension.
import { dkimSign } from "mailauth/lib/dkim/sign.js";
import { accountGet, contentRaw, mailboxGet, messagesOfMailbox } from "../../src/store/mod.ts";
import { eventually } from "../harness/eventually.ts";
import type { TestServer } from "../harness/server.ts";
import { SmtpClient, type SmtpResponse } from "../harness/smtp-client.ts";

export interface DkimKey {
  privateKey: string;
  /** The TXT record to publish at <selector>._domainkey.<domain>. */
  record: string;
}

export function rsaKey(bits = 2048): DkimKey {
  const pair = generateKeyPairSync("rsa", { modulusLength: bits });
  const p = pair.publicKey.export({ type: "spki", format: "der" }).toString("base64");
  return {
    privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    record: `v=DKIM1; k=rsa; p=${p}`,
  };
}

export function ed25519Key(): DkimKey {
  const pair = generateKeyPairSync("ed25519");
  // RFC 8463 §4: the raw 32-byte public key, not the SPKI structure.
  const p = pair.publicKey.export({ type: "spki", format: "der" }).subarray(-32).toString("base64");
  return {
    privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    record: `v=DKIM1; k=ed25519; p=${p}`,
  };
}

/**
 * A public RSA key record of `bits` bits without generating one (16384-bit generation takes minutes):
 * any odd modulus of the right length is a key as far as a verifier's parser is concerned.
 */
export function rsaPublicRecordOfSize(bits: number): string {
  const n = randomBytes(bits / 8);
  n[0]! |= 0x80;
  n[n.length - 1]! |= 1;
  const key = createPublicKey({ key: { kty: "RSA", n: n.toString("base64url"), e: "AQAB" }, format: "jwk" });
  return `v=DKIM1; k=rsa; p=${key.export({ type: "spki", format: "der" }).toString("base64")}`;
}

export function message(from: string, to: string, subject: string, extra = ""): string {
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    "Date: Fri, 2 Jan 2026 10:00:00 +0000",
    `Message-ID: <${randomBytes(6).toString("hex")}@test>`,
    ...(extra ? [extra] : []),
    "",
    "Hello there.",
    "",
  ].join("\r\n");
}

/** The message with DKIM-Signature fields on top, one per key. */
export async function sign(
  raw: string,
  keys: Array<{ domain: string; selector: string; key: DkimKey }>,
): Promise<string> {
  const signed = await dkimSign(raw, {
    canonicalization: "relaxed/relaxed",
    signatureData: keys.map((k) => ({
      signingDomain: k.domain,
      selector: k.selector,
      privateKey: k.key.privateKey,
    })),
  } as Parameters<typeof dkimSign>[1]);
  if (signed.errors.length) throw new Error(`dkimSign failed: ${JSON.stringify(signed.errors)}`);
  return signed.signatures + raw;
}

/** The message with an ARC set on top (RFC 8617 §5.1), as a forwarder would add it. */
export async function arcSeal(raw: string, domain: string, selector: string, key: DkimKey): Promise<string> {
  const seal = await sealMessage(Buffer.from(raw), {
    signingDomain: domain,
    selector,
    privateKey: key.privateKey,
    cv: "none",
    authResults: `${domain}; spf=pass smtp.mailfrom=${domain}`,
  });
  return seal.toString() + raw;
}

/** One SMTP transaction to `port` from the loopback address `from` (the client IP SPF checks). */
export async function sendFrom(
  port: number,
  input: { address: string; helo?: string; mailFrom: string; to: string[]; raw: string },
): Promise<SmtpResponse> {
  const { client } = await SmtpClient.connect(port, "127.0.0.1", { localAddress: input.address });
  try {
    await client.command(`EHLO ${input.helo ?? "mail.client.example"}`);
    const mail = await client.command(`MAIL FROM:<${input.mailFrom}>`);
    if (mail.code !== 250) return mail;
    for (const rcpt of input.to) {
      const r = await client.command(`RCPT TO:<${rcpt}>`);
      if (r.code !== 250) return r;
    }
    return await client.data(input.raw);
  } finally {
    await client.command("QUIT").catch(() => undefined);
    await client.close();
  }
}

export interface Stored {
  id: number;
  raw: string;
  keywords: string[];
}

/** The messages of a mailbox, with their ids (for the REST view) and keywords. */
export async function stored(server: TestServer, address: string, mailbox = "INBOX"): Promise<Stored[]> {
  const account = await accountGet(server.store.read, address);
  const box = await mailboxGet(server.store.read, account.id, mailbox);
  const out: Stored[] = [];
  for (const m of await messagesOfMailbox(server.store.read, box.id)) {
    const raw = await contentRaw(server.store.read, m.contentId);
    out.push({ id: m.id, raw: Buffer.from(raw!).toString("latin1"), keywords: m.keywords });
  }
  return out;
}

/** Waits for the message whose Subject is `subject` in a mailbox (store change events, a deadline). */
export async function arrival(
  server: TestServer,
  address: string,
  subject: string,
  mailbox = "INBOX",
): Promise<Stored> {
  const account = await accountGet(server.store.read, address);
  return eventually(
    async () =>
      (await stored(server, address, mailbox)).find((m) => m.raw.includes(`\r\nSubject: ${subject}\r\n`)),
    `"${subject}" in ${address}/${mailbox}`,
    { timeoutMs: 20_000, wakeOn: (wake) => server.store.changes.subscribe(account.id, wake) },
  );
}

/** The REST message view's `authentication`. */
export async function authenticationOf(server: TestServer, address: string, id: number): Promise<unknown> {
  const response = await server.api(`/api/v1/accounts/${encodeURIComponent(address)}/messages/${id}`);
  if (response.status !== 200) throw new Error(`GET message ${id}: ${response.status}`);
  return ((await response.json()) as { authentication: unknown }).authentication;
}

/** The names of the REST message view's spam symbols (the built-in score's, or rspamd's). */
export async function spamSymbolsOf(server: TestServer, address: string, id: number): Promise<string[]> {
  const response = await server.api(`/api/v1/accounts/${encodeURIComponent(address)}/messages/${id}`);
  if (response.status !== 200) throw new Error(`GET message ${id}: ${response.status}`);
  const { spam } = (await response.json()) as { spam: { symbols: Array<{ name: string }> } | null };
  return spam ? spam.symbols.map((s) => s.name) : [];
}

/** Every Authentication-Results field of a stored message, unfolded, in order. */
export function authenticationResultsFields(raw: string): string[] {
  const header = raw.slice(0, raw.indexOf("\r\n\r\n") + 2);
  return [...header.matchAll(/^Authentication-Results:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n/gim)].map((m) =>
    m[1]!.replace(/\r\n/g, "").trim(),
  );
}
