/**
 * Renewal against pebble issuing certificates that live 12 seconds: at two thirds of the lifetime the
 * manager orders a new one by itself; new handshakes get it, sessions secured before keep working.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TLSSocket } from "node:tls";
import { ImapClient } from "../harness/imap-client.ts";
import type { TestServer } from "../harness/server.ts";
import {
  type AcmeSetup,
  firstCertificate,
  HOSTNAME,
  nextAttempt,
  presented,
  recordingLog,
  startAcmeServer,
  startAcmeSetup,
} from "./helpers.ts";

const LIFETIME_S = 12;

let setup: AcmeSetup;
let server: TestServer;
const { log, records } = recordingLog();

beforeAll(async () => {
  setup = await startAcmeSetup({ validitySeconds: LIFETIME_S });
  server = await startAcmeServer(setup, "tls-alpn-01", {}, { log });
});

afterAll(async () => {
  await server?.close();
  await setup.stop();
});

test("the certificate is renewed at two thirds of its lifetime and swapped in without dropping sessions", async () => {
  const root = await setup.pebble.issuingRoot();
  await firstCertificate(server);
  const first = server.certificates!.status().certificate!;
  expect(first.renewAt - first.notBefore).toBe(Math.floor(((first.notAfter - first.notBefore) * 2) / 3));

  const { client: before } = await ImapClient.connect(server.ports.imaps!, "127.0.0.1", {
    tls: { ca: root, servername: HOSTNAME },
  });
  const firstSerial = (before.socket as TLSSocket).getPeerCertificate().serialNumber;
  expect(firstSerial.toUpperCase()).toBe(first.serial.toUpperCase());

  const renewal = await nextAttempt(server, { timeoutMs: LIFETIME_S * 1000 + 20_000 });
  expect(renewal.kind).toBe("issued");
  if (renewal.kind !== "issued") return;
  // Not before its time: two thirds in (to the second the certificate's dates have).
  expect(Date.now()).toBeGreaterThanOrEqual(first.renewAt);
  expect(renewal.certificate.serial).not.toBe(first.serial);
  expect(records.some((r) => r.event === "acme.ordering" && r.reason === "renewal due")).toBe(true);

  const now = await presented(server.ports.imaps!, HOSTNAME, root);
  expect(now.authorized).toBe(true);
  expect(now.cert.serialNumber.toUpperCase()).toBe(renewal.certificate.serial.toUpperCase());
  // The session from before the renewal goes on.
  expect((await before.command("NOOP")).status).toBe("OK");
  expect((await before.command("CAPABILITY")).status).toBe("OK");
  await before.close();
}, 60_000);
