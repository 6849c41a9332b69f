/**
 * MAILROOM_TRUSTED_NETWORKS / --trusted-networks: the networks whose connections may send passwords
 * without TLS. By default only 127.0.0.1 and ::1: a local proxy or port forwarder on another
 * 127.x address would otherwise make every remote client it forwards look local.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, parseArgs } from "../../src/config.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpTlsClient } from "../tls/smtp-tls-client.ts";

const ENV = { MAILROOM_DATA_DIR: "/tmp/unused", MAILROOM_HOSTNAME: "mx.test.example" };

describe("the trusted-networks setting", () => {
  test("defaults to 127.0.0.1/32 and ::1/128, not the whole of 127.0.0.0/8", () => {
    expect(loadConfig(new Map(), ENV).trustedNetworks).toEqual(["127.0.0.1/32", "::1/128"]);
  });

  test("MAILROOM_TRUSTED_NETWORKS takes comma-separated CIDRs; a bare address is one host", () => {
    const config = loadConfig(new Map(), {
      ...ENV,
      MAILROOM_TRUSTED_NETWORKS: " 10.0.0.0/8, 192.0.2.7 ,2001:DB8::/32,::1",
    });
    expect(config.trustedNetworks).toEqual(["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128"]);
  });

  test("--trusted-networks wins over the environment; none trusts no network at all", () => {
    const { flags } = parseArgs(["--trusted-networks", "none"]);
    const config = loadConfig(flags, { ...ENV, MAILROOM_TRUSTED_NETWORKS: "10.0.0.0/8" });
    expect(config.trustedNetworks).toEqual([]);
  });

  test.each([
    "10.0.0.0/33",
    "::1/129",
    "localhost",
    "10.0.0.0/8,,",
    "10.0.0/8",
    "10.0.0.0/-1",
    "10.0.0.0/08x",
  ])("an invalid list (%j) stops the start naming the variable", (value) => {
    expect(() => loadConfig(new Map(), { ...ENV, MAILROOM_TRUSTED_NETWORKS: value })).toThrow(ConfigError);
    expect(() => loadConfig(new Map(), { ...ENV, MAILROOM_TRUSTED_NETWORKS: value })).toThrow(
      "MAILROOM_TRUSTED_NETWORKS",
    );
  });
});

describe("a server with the default trusted networks", () => {
  let server: TestServer;
  const PLAIN = Buffer.from("\0alice@example.com\0secret").toString("base64");

  beforeAll(async () => {
    // No override: the trusted networks come from the configuration's default.
    server = await startTestServer();
    await createAccounts(server, [{ address: "alice@example.com" }]);
  });

  afterAll(async () => {
    await server.close();
  });

  test("IMAP from 127.0.0.2 without TLS is LOGINDISABLED; from 127.0.0.1 LOGIN works", async () => {
    const remote = await ImapClient.connect(server.ports.imap!, "127.0.0.1", { localAddress: "127.0.0.2" });
    expect(remote.greeting).toContain("LOGINDISABLED");
    const refused = await remote.client.command('LOGIN "alice@example.com" "secret"');
    expect(`${refused.status} ${refused.text}`).toStartWith("NO [PRIVACYREQUIRED]");
    await remote.client.close();
    const local = await ImapClient.connect(server.ports.imap!);
    expect((await local.client.command('LOGIN "alice@example.com" "secret"')).status).toBe("OK");
    await local.client.close();
  });

  test("POP3 from 127.0.0.2 without TLS hides USER and refuses it", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3!, "127.0.0.1", {
      localAddress: "127.0.0.2",
    });
    expect((await client.multi("CAPA")).lines).not.toContain("USER");
    expect((await client.command("USER alice@example.com")).code).toBe("AUTH");
    await client.quit();
  });

  test("SMTP submission from 127.0.0.2 without TLS answers AUTH with 538", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.submission!, { localAddress: "127.0.0.2" });
    const ehlo = await client.command("EHLO remote.test");
    expect(ehlo.lines.some((l) => l.startsWith("AUTH"))).toBe(false);
    expect((await client.command(`AUTH PLAIN ${PLAIN}`)).code).toBe(538);
    await client.close();
  });
});

describe("a server that trusts 127.0.0.0/8", () => {
  test("takes a password without TLS from 127.0.0.2", async () => {
    const { trustedNetworks } = loadConfig(new Map(), { ...ENV, MAILROOM_TRUSTED_NETWORKS: "127.0.0.0/8" });
    const server = await startTestServer({ trustedNetworks });
    try {
      await createAccounts(server, [{ address: "alice@example.com" }]);
      const { client, greeting } = await ImapClient.connect(server.ports.imap!, "127.0.0.1", {
        localAddress: "127.0.0.2",
      });
      expect(greeting).not.toContain("LOGINDISABLED");
      expect((await client.command('LOGIN "alice@example.com" "secret"')).status).toBe("OK");
      await client.close();
    } finally {
      await server.close();
    }
  });
});
