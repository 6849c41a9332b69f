/**
 * RFC 6152 §3 at delivery: a server that does not offer 8BITMIME gets an 8-bit body converted to
 * 7-bit (quoted-printable for text) rather than raw, and no BODY=8BITMIME; a server that offers it
 * gets the stored bytes as they are. Real sockets: our delivery client against smtp-server peers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SMTPServer } from "smtp-server";
import { parseMessage } from "../../src/mime/mod.ts";
import { decodeQuotedPrintable } from "../../src/mime/transfer.ts";
import { smtpTransaction } from "../../src/smtp/delivery/client.ts";

interface Received {
  raw: Buffer;
  body: unknown;
}

/** A peer that records what it accepts; `eightBit` decides whether EHLO lists 8BITMIME. */
async function peer(eightBit: boolean) {
  const got: Received[] = [];
  const waiters: Array<(r: Received) => void> = [];
  const server = new SMTPServer({
    name: "peer.test",
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    hide8BITMIME: !eightBit,
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const r = {
          raw: Buffer.concat(chunks),
          body: (session.envelope as { mailFrom: { args?: Record<string, unknown> } }).mailFrom.args?.BODY,
        };
        const w = waiters.shift();
        if (w) w(r);
        else got.push(r);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    next: () =>
      new Promise<Received>((resolve) => (got.length ? resolve(got.shift()!) : waiters.push(resolve))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let seven: Awaited<ReturnType<typeof peer>>;
let eight: Awaited<ReturnType<typeof peer>>;

beforeAll(async () => {
  seven = await peer(false);
  eight = await peer(true);
});

afterAll(async () => {
  await Promise.all([seven.close(), eight.close()]);
});

const TEXT = "Grüße aus München – 100 € = viel\r\n";
const MESSAGE = Buffer.from(
  [
    "Return-Path: <carol@remote.example>",
    "From: carol@remote.example",
    "To: dave@peer.test",
    "Subject: forwarded, unsigned",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    TEXT,
  ].join("\r\n"),
);

function deliver(port: number) {
  return smtpTransaction({
    host: "127.0.0.1",
    port,
    helo: "mx.test.example",
    sender: "carol@remote.example",
    recipients: [{ address: "dave@peer.test" }],
    raw: MESSAGE,
  });
}

describe("8-bit bodies at delivery", () => {
  test("a peer without 8BITMIME gets the body as quoted-printable that decodes to the same text", async () => {
    const outcome = await deliver(seven.port);
    expect(outcome.kind).toBe("done");
    const got = await seven.next();
    expect(got.body).toBeUndefined();
    expect(got.raw.some((b) => b > 0x7f)).toBe(false);
    const parsed = parseMessage(got.raw);
    expect(parsed.structure.encoding).toBe("QUOTED-PRINTABLE");
    const decoded = Buffer.from(decodeQuotedPrintable(got.raw.subarray(parsed.headerEnd))).toString("utf8");
    expect(decoded).toBe(TEXT);
    expect(got.raw.toString()).toContain("Subject: forwarded, unsigned\r\n");
  });

  test("a peer with 8BITMIME gets the stored bytes unchanged with BODY=8BITMIME", async () => {
    expect((await deliver(eight.port)).kind).toBe("done");
    const got = await eight.next();
    expect(got.body).toBe("8BITMIME");
    // Everything but our own leading Return-Path (RFC 5321 §4.4).
    expect(got.raw.equals(MESSAGE.subarray(MESSAGE.indexOf("From:")))).toBe(true);
  });
});
