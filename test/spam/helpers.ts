/**
 * Shared by the spam tests: one SMTP transaction from a chosen source address (127.0.0.x plays a
 * remote client; 127.0.0.1 is a trusted network and skips the defence), test messages, and the
 * stored verdict of a mailbox's messages.
 */
import { SmtpClient, type SmtpResponse } from "../harness/smtp-client.ts";

export interface Transaction {
  from?: string;
  to: string[];
  message: string | Uint8Array;
  helo?: string;
  /** Source address; 127.0.0.2 by default. */
  localAddress?: string;
}

/** Runs one transaction; answers with the first refusal or the reply to the end of DATA. */
export async function deliver(port: number, t: Transaction): Promise<SmtpResponse> {
  const { client, greeting } = await SmtpClient.connect(port, "127.0.0.1", {
    localAddress: t.localAddress ?? "127.0.0.2",
  });
  try {
    if (greeting.code !== 220) return greeting;
    const ehlo = await client.command(`EHLO ${t.helo ?? "client.remote.example"}`);
    if (ehlo.code !== 250) return ehlo;
    const mail = await client.command(`MAIL FROM:<${t.from ?? "sender@remote.example"}>`);
    if (mail.code !== 250) return mail;
    for (const rcpt of t.to) {
      const r = await client.command(`RCPT TO:<${rcpt}>`);
      if (r.code !== 250) return r;
    }
    return await client.data(t.message);
  } finally {
    if (!client.closed) await client.command("QUIT").catch(() => undefined);
    await client.close();
  }
}

let serial = 0;

/** A small, well-formed message; `body` lines are joined with CRLF. */
export function testMessage(subject: string, body: string, extra: string[] = []): string {
  serial++;
  return [
    "From: Sender <sender@remote.example>",
    "To: alice@example.com",
    `Subject: ${subject}`,
    `Message-ID: <spam-test-${Date.now()}-${serial}@remote.example>`,
    "Date: Mon, 1 Jan 2024 00:00:00 +0000",
    ...extra,
    "",
    body,
    "",
  ].join("\r\n");
}

/** A message with enough words for rspamd's Bayes to learn from (at least 11 tokens). */
export function wordyMessage(subject: string, words: string): string {
  // A word of its own per message: rspamd keeps digests of the words it learned from.
  const unique = `token${Date.now().toString(36)}x${(++serial).toString(36)}`;
  return testMessage(
    subject,
    `${words} ${unique} ${"lorem ipsum dolor sit amet consectetur adipiscing elit ".repeat(3)}`,
  );
}
