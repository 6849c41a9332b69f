/**
 * Outgoing delivery with opportunistic STARTTLS (RFC 3207, RFC 7435): encrypted whenever the peer
 * offers it, whatever its certificate; in plain text when it does not; once more in plain text when
 * the handshake fails. The relayed copy leaves without the Return-Path we stored (RFC 5321 §4.4).
 * Peers are scripted smtp-server instances on loopback; the last test relays between two Mailrooms.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Route } from "../../src/config.ts";
import { smtpConnect, smtpTransaction, withoutReturnPath } from "../../src/smtp/delivery/client.ts";
import { selfSignedCertificate } from "../../src/tls/x509.ts";
import { eventually } from "../harness/eventually.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { type Peer, startPeer } from "./peer.ts";

const peerPair = selfSignedCertificate("peer.test", { days: 30 });
const STORED =
  "Return-Path: <alice@a.example>\r\n" +
  "Received: from client.test ([127.0.0.1])\r\n\tby mx.a.example (Mailroom) with ESMTPSA id x;\r\n\tThu, 1 Jan 2026 00:00:00 +0000\r\n" +
  "From: alice@a.example\r\nTo: bob@b.example\r\nSubject: relayed\r\n\r\nHello.\r\n";
const RELAYED = STORED.slice(STORED.indexOf("Received:"));

let tlsPeer: Peer;
let plainPeer: Peer;
let oldPeer: Peer;

beforeAll(async () => {
  tlsPeer = await startPeer({ tls: { cert: peerPair.certPem, key: peerPair.keyPem } });
  plainPeer = await startPeer();
  // Offers STARTTLS but speaks nothing newer than TLS 1.1, below our floor: the handshake fails.
  oldPeer = await startPeer({ tls: { cert: peerPair.certPem, key: peerPair.keyPem, maxVersion: "TLSv1.1" } });
});

afterAll(async () => {
  await Promise.all([tlsPeer.close(), plainPeer.close(), oldPeer.close()]);
});

const input = (peer: Peer) => ({
  host: "127.0.0.1",
  port: peer.port,
  helo: "mx.a.example",
  sender: "alice@a.example",
  recipients: [{ address: "bob@b.example" }],
  raw: Buffer.from(STORED),
});

describe("opportunistic STARTTLS", () => {
  test("a peer offering STARTTLS with a self-signed certificate gets the message encrypted", async () => {
    const outcome = await smtpTransaction(input(tlsPeer));
    expect(outcome).toMatchObject({ kind: "done", recipients: [{ accepted: true, code: 250 }] });
    const got = await tlsPeer.next();
    expect(got.secure).toBe(true);
    expect(["TLSv1.2", "TLSv1.3"]).toContain(got.tlsVersion!);
    expect(got.raw.toString()).toBe(RELAYED);
  });

  test("a peer without STARTTLS still gets the message, in plain text", async () => {
    const outcome = await smtpTransaction(input(plainPeer));
    expect(outcome).toMatchObject({ kind: "done", recipients: [{ accepted: true }] });
    const got = await plainPeer.next();
    expect(got.secure).toBe(false);
    expect(got.raw.toString()).toBe(RELAYED);
  });

  test("a failed handshake is retried once on a new connection without TLS, and the message arrives", async () => {
    const before = oldPeer.connections().total;
    const connected = await smtpConnect({ host: "127.0.0.1", port: oldPeer.port, helo: "mx.a.example" });
    expect(connected.kind).toBe("connected");
    if (connected.kind !== "connected") return;
    expect(connected.session.encrypted).toBe(false);
    expect(connected.session.tlsFailure).toMatch(/PROTOCOL_VERSION|protocol version|UNSUPPORTED_PROTOCOL/i);
    const [result] = await connected.session.send(input(oldPeer));
    connected.session.quit();
    expect(result).toMatchObject({ accepted: true, code: 250 });
    expect(oldPeer.connections().total - before).toBe(2);
    const got = await oldPeer.next();
    expect(got.secure).toBe(false);
    expect(got.raw.toString()).toBe(RELAYED);
  });

  test("a session on a peer with STARTTLS reports itself encrypted, without a TLS failure", async () => {
    const connected = await smtpConnect({ host: "127.0.0.1", port: tlsPeer.port, helo: "mx.a.example" });
    expect(connected.kind).toBe("connected");
    if (connected.kind !== "connected") return;
    expect(connected.session.encrypted).toBe(true);
    expect(connected.session.tlsFailure).toBeNull();
    connected.session.quit();
  });
});

describe("withoutReturnPath() (RFC 5321 §4.4)", () => {
  const strip = (text: string) => Buffer.from(withoutReturnPath(Buffer.from(text))).toString();

  test.each([
    ["our leading field", "Return-Path: <a@b.example>\r\nSubject: x\r\n\r\nbody", "Subject: x\r\n\r\nbody"],
    ["any case", "return-path: <>\r\nSubject: x\r\n\r\n", "Subject: x\r\n\r\n"],
    ["with folded lines", "Return-Path:\r\n <a@b.example>\r\n\tx\r\nSubject: x\r\n", "Subject: x\r\n"],
    [
      "only the first of two",
      "Return-Path: <a@b>\r\nReturn-Path: <c@d>\r\n\r\n",
      "Return-Path: <c@d>\r\n\r\n",
    ],
    [
      "not a leading one",
      "Subject: x\r\nReturn-Path: <a@b>\r\n\r\n",
      "Subject: x\r\nReturn-Path: <a@b>\r\n\r\n",
    ],
    ["a longer field name", "Return-Paths: <a@b>\r\n\r\n", "Return-Paths: <a@b>\r\n\r\n"],
    ["an unterminated line", "Return-Path: <a@b>", "Return-Path: <a@b>"],
    ["no header at all", "", ""],
  ])("%s", (_name, raw, expected) => {
    expect(strip(raw)).toBe(expected);
  });
});

describe("relaying between two Mailrooms", () => {
  const routes: Route[] = [];
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    a = await startTestServer({ hostname: "mx.a.example", domain: "a.example", routes, queueRetry: [200] });
    b = await startTestServer({ hostname: "mx.b.example", domain: "b.example" });
    routes.push({ domain: "b.example", host: "127.0.0.1", port: b.ports.smtp! });
    await createAccounts(a, [{ address: "alice@a.example", password: "alice-pw" }]);
    await createAccounts(b, [{ address: "bob@b.example", password: "bob-pw" }]);
  });

  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  test("the relay hop uses STARTTLS and B's copy has one Return-Path, its own", async () => {
    const { client } = await SmtpClient.connect(a.ports.submission!);
    await client.command("EHLO client.test");
    const login = Buffer.from("\0alice@a.example\0alice-pw").toString("base64");
    expect((await client.command(`AUTH PLAIN ${login}`)).code).toBe(235);
    expect((await client.command("MAIL FROM:<alice@a.example>")).code).toBe(250);
    expect((await client.command("RCPT TO:<bob@b.example>")).code).toBe(250);
    const sent = await client.data(
      "From: alice@a.example\r\nTo: bob@b.example\r\nSubject: hop\r\n\r\nHi.\r\n",
    );
    expect(sent.code).toBe(250);
    await client.command("QUIT");
    await client.close();

    const raw = await eventually(
      async () =>
        (await mailboxContents(b, "bob@b.example"))
          .map((m) => m.raw.toString())
          .find((r) => r.includes("Subject: hop")),
      "the message in bob's INBOX at b",
      { timeoutMs: 15_000, intervalMs: 25 },
    );
    expect(raw).toBeDefined();
    expect(raw!).toMatch(
      // B's Authentication-Results (RFC 8601) between its Return-Path and its Received.
      /^Return-Path: <alice@a\.example>\r\nAuthentication-Results: mx\.b\.example;.*\r\nReceived: from mx\.a\.example .* with ESMTPS id /s,
    );
    expect(raw!.match(/^Return-Path:/gim)).toHaveLength(1);
  });
});
