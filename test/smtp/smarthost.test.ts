/**
 * Static routes to a smarthost with TLS and credentials (MAILROOM_ROUTES=domain=smtp://user:pass@host:port,
 * smtps:// for implicit TLS): STARTTLS is required when credentials are given (RFC 4954 §4, RFC 8314),
 * the smarthost's certificate must be valid for its name, the route's host name is resolved through
 * our resolver, and the password appears in no log line and no error message.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, parseRoutes } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { createTestCa, type TestCa } from "../harness/test-ca.ts";
import { deferredFor, goneFor, message, queueState, submit } from "./outbound-helpers.ts";
import { type Peer, startPeer } from "./peer.ts";

const PASSWORD = "s3cret,p4ssw0rd@qz9";
const WRONG = "wrong-Pa55word";
const encoded = encodeURIComponent(PASSWORD);

let ca: TestCa;
let knot: TestDnsServer;
let starttls: Peer;
let implicit: Peer;
let noTls: Peer;
let a: TestServer;
const logLines: string[] = [];

beforeAll(async () => {
  ca = await createTestCa();
  const pair = await ca.issue(["smarthost.relay.example"]);
  const tls = { cert: pair.chainPem, key: pair.keyPem };
  const auth = { user: "relay user", pass: PASSWORD };
  starttls = await startPeer({ tls, auth });
  implicit = await startPeer({ tls, auth, implicitTls: true });
  noTls = await startPeer({ auth });
  knot = await startDnsServer([
    { origin: "relay.example", records: [{ name: "smarthost", type: "A", value: "127.0.0.1" }] },
  ]);
  const host = "smarthost.relay.example";
  const routes = parseRoutes(
    [
      `far.example=smtp://relay%20user:${encoded}@${host}:${starttls.port}`,
      `tls.example=smtps://relay%20user:${encoded}@${host}:${implicit.port}`,
      `notls.example=smtp://relay%20user:${encoded}@${host}:${noTls.port}`,
      `wrong.example=smtp://relay%20user:${WRONG}@${host}:${starttls.port}`,
      // The certificate names smarthost.relay.example, not 127.0.0.1: not the host it claims to be.
      `byip.example=smtp://relay%20user:${encoded}@127.0.0.1:${starttls.port}`,
    ].join(","),
  );
  a = await startTestServer(
    {
      hostname: "mx.a.example",
      domain: "a.example",
      dnsServers: [knot.server],
      tlsCaFile: ca.caFile,
      routes,
      queueRetry: [60_000],
      logLevel: "debug",
    },
    { log: createLogger({ level: "debug", write: (line) => logLines.push(line) }) },
  );
  await createAccounts(a, [{ address: "alice@a.example" }]);
});

afterAll(async () => {
  await a.close();
  await Promise.all([starttls.close(), implicit.close(), noTls.close(), knot.stop()]);
  ca.remove();
});

async function send(to: string, subject: string) {
  const result = await submit(a, {
    user: "alice@a.example",
    to: [to],
    raw: message("alice@a.example", to, subject),
  });
  expect(result.ok).toBe(true);
}

describe("smarthost routes", () => {
  test("parseRoutes() reads smtp:// and smtps:// URLs and keeps the old host:port form", () => {
    const routes = parseRoutes(
      "a.example=smtp://u:p%2Cq@relay.example:587,*=smtps://relay.example,b.example=10.0.0.1:2525",
    );
    expect(
      routes.map((r) => ({ ...r, auth: r.auth ? { user: r.auth.user, pass: r.auth.pass } : undefined })),
    ).toEqual([
      {
        domain: "a.example",
        host: "relay.example",
        port: 587,
        tls: "starttls",
        auth: { user: "u", pass: "p,q" },
      },
      { domain: "*", host: "relay.example", port: 465, tls: "implicit", auth: undefined },
      { domain: "b.example", host: "10.0.0.1", port: 2525, tls: "opportunistic", auth: undefined },
    ]);
    // The password is not in the route's JSON or its inspected form.
    expect(JSON.stringify(routes[0])).not.toContain("p,q");
    expect(Bun.inspect(routes[0])).not.toContain("p,q");
  });

  test("a bad route's error message shows no password", () => {
    let message = "";
    try {
      loadConfig(new Map(), { MAILROOM_ROUTES: `x.example=smtp://u:${PASSWORD}@bad_host:1` });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain("MAILROOM_ROUTES");
    expect(message).toContain("route 1 (x.example)");
    for (const piece of PASSWORD.split(/[,@]/)) expect(message).not.toContain(piece);
  });

  test("smtp:// with credentials: STARTTLS, AUTH, then the message; the name came from our resolver", async () => {
    await send("bob@far.example", "via-starttls");
    const got = await starttls.next();
    expect(got.raw.toString()).toContain("Subject: via-starttls");
    expect(got.secure).toBe(true);
    expect(got.authUser).toBe("relay user");
    await queueState(a, goneFor("bob@far.example"));
  });

  test("smtps:// speaks TLS from the first byte (RFC 8314 §3.3)", async () => {
    await send("bob@tls.example", "via-smtps");
    const got = await implicit.next();
    expect(got.raw.toString()).toContain("Subject: via-smtps");
    expect(got.secure).toBe(true);
    expect(got.authUser).toBe("relay user");
  });

  test("credentials never go without TLS: a smarthost without STARTTLS gets nothing, the mail waits", async () => {
    await send("bob@notls.example", "no-tls");
    const item = await queueState(a, deferredFor("bob@notls.example"));
    expect(item.lastError).toContain("STARTTLS");
    expect(noTls.messages).toHaveLength(0);
  });

  test("a certificate not valid for the route's host name: not used", async () => {
    await send("bob@byip.example", "by-ip");
    const item = await queueState(a, deferredFor("bob@byip.example"));
    expect(item.lastError).toContain("certificate-host-mismatch");
  });

  test("a refused login defers the mail; no log line and no error carries a password", async () => {
    await send("bob@wrong.example", "wrong-pass");
    const item = await queueState(a, deferredFor("bob@wrong.example"));
    expect(item.lastError).toContain("535");
    const everything = `${logLines.join("\n")}\n${item.lastError}`;
    expect(logLines.length).toBeGreaterThan(10);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(encoded);
    expect(everything).not.toContain(WRONG);
  });
});
