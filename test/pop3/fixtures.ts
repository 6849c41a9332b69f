/**
 * Shared set-up for the POP3 tests (accounts come from test/harness/accounts.ts): delivery over real
 * SMTP, direct ingest for bytes SMTP would not produce, and extra POP3 listeners with test-sized
 * limits on a running server's store.
 */
import { expect } from "bun:test";
import { type Logger, silentLogger } from "../../src/log.ts";
import { parseMessage } from "../../src/mime/mod.ts";
import type { Pop3Limits } from "../../src/pop3/limits.ts";
import { type Pop3Listener, startPop3 } from "../../src/pop3/server.ts";
import { accountGet, mailboxGet, messageIngest } from "../../src/store/mod.ts";
import { mailboxContents, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";

export function simpleMessage(subject: string, body = "hello\r\n"): string {
  return `From: sender@remote.example\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\s/g, "-")}@t>\r\n\r\n${body}`;
}

/** Delivers over SMTP and checks the 250. */
export async function deliver(server: TestServer, to: string, message: string | Uint8Array): Promise<void> {
  const r = await sendMail(server.ports.smtp!, "sender@remote.example", [to], message);
  expect(r.code).toBe(250);
}

/** Stores exact bytes in the INBOX, bypassing SMTP (for bare LFs, no final newline...). */
export async function ingestRaw(server: TestServer, address: string, raw: Uint8Array): Promise<void> {
  const account = await accountGet(server.store.read, address);
  const inbox = await mailboxGet(server.store.read, account.id, "INBOX");
  await server.store.write((w) =>
    messageIngest(w, {
      raw,
      parsed: parseMessage(raw),
      targets: [{ accountId: account.id, mailboxId: inbox.id }],
    }),
  );
}

/** The stored bytes of the INBOX, in message-number order. */
export async function storedMessages(server: TestServer, address: string): Promise<Buffer[]> {
  return (await mailboxContents(server, address)).map((m) => m.raw);
}

/** A second POP3 listener on the server's store, with test-sized limits. Closed by the caller. */
export function extraPop3(
  server: TestServer,
  limits: Partial<Pop3Limits>,
  options: { log?: Logger } = {},
): Promise<Pop3Listener> {
  return startPop3(
    {
      store: server.store,
      log: options.log ?? silentLogger,
      hostname: "pop.test.example",
      primaryDomain: "example.com",
      limits,
    },
    { port: 0, host: "127.0.0.1" },
  );
}

export const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
