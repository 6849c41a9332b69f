/**
 * Cipher suites on every TLS listener (STARTTLS on SMTP 25 and 587, IMAP 143, POP3 110; implicit TLS
 * on 465, 993, 995), probed with `openssl s_client`: TLS 1.2 offers only forward-secret AEAD suites
 * (ECDHE with AES-GCM or ChaCha20-Poly1305), never CBC with SHA-1 or SHA-2 HMACs; TLS 1.3 works.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hasCommand, run } from "../harness/run.ts";
import type { TestServer } from "../harness/server.ts";
import { HOSTNAME, startTlsServer } from "./fixtures.ts";

let server: TestServer;
const haveOpenssl = await hasCommand("openssl");

beforeAll(async () => {
  server = await startTlsServer();
});

afterAll(async () => {
  await server.close();
});

/** Each listener: its port and how s_client reaches TLS on it. */
const LISTENERS: Array<[string, (s: TestServer) => number, string[]]> = [
  ["SMTP STARTTLS (25)", (s) => s.ports.smtp!, ["-starttls", "smtp"]],
  ["submission STARTTLS (587)", (s) => s.ports.submission!, ["-starttls", "smtp"]],
  ["SMTPS (465)", (s) => s.ports.smtps!, ["-servername", HOSTNAME]],
  ["IMAP STARTTLS (143)", (s) => s.ports.imap!, ["-starttls", "imap"]],
  ["IMAPS (993)", (s) => s.ports.imaps!, ["-servername", HOSTNAME]],
  ["POP3 STLS (110)", (s) => s.ports.pop3!, ["-starttls", "pop3"]],
  ["POP3S (995)", (s) => s.ports.pop3s!, ["-servername", HOSTNAME]],
];

/** A TLS 1.2 handshake offering only `cipher`; returns the cipher agreed, or undefined when refused. */
async function tls12With(port: number, how: string[], cipher: string): Promise<string | undefined> {
  const r = await run(
    "openssl",
    ["s_client", "-connect", `127.0.0.1:${port}`, "-tls1_2", "-cipher", cipher, ...how],
    { input: "", timeoutMs: 20_000 },
  );
  const agreed = /Cipher is ([A-Z0-9-]+|\(NONE\))/.exec(r.stdout)?.[1];
  return agreed === undefined || agreed === "(NONE)" ? undefined : agreed;
}

const WEAK = [
  "ECDHE-ECDSA-AES128-SHA",
  "ECDHE-ECDSA-AES256-SHA",
  "ECDHE-ECDSA-AES128-SHA256",
  "ECDHE-ECDSA-AES256-SHA384",
  "ECDHE-RSA-AES128-SHA",
  "AES128-SHA",
  "AES128-GCM-SHA256",
];

describe.each(LISTENERS)("%s", (_name, port, how) => {
  test("TLS 1.2 refuses CBC suites and suites without forward secrecy", async () => {
    if (!haveOpenssl) return console.warn("openssl is not installed: skipped");
    for (const cipher of WEAK) {
      expect({ cipher, agreed: await tls12With(port(server), how, cipher) }).toEqual({
        cipher,
        agreed: undefined,
      });
    }
  });

  test("TLS 1.2 agrees on ECDHE with AES-GCM or ChaCha20-Poly1305", async () => {
    if (!haveOpenssl) return console.warn("openssl is not installed: skipped");
    for (const cipher of [
      "ECDHE-ECDSA-AES128-GCM-SHA256",
      "ECDHE-ECDSA-AES256-GCM-SHA384",
      "ECDHE-ECDSA-CHACHA20-POLY1305",
    ]) {
      expect(await tls12With(port(server), how, cipher)).toBe(cipher);
    }
  });

  test("TLS 1.3 is negotiated with an AEAD suite", async () => {
    if (!haveOpenssl) return console.warn("openssl is not installed: skipped");
    const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${port(server)}`, "-tls1_3", ...how], {
      input: "",
      timeoutMs: 20_000,
    });
    expect(r.stdout).toMatch(
      /New, TLSv1\.3, Cipher is TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)/,
    );
  });
});
