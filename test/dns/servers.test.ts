/**
 * Which servers the resolver asks: MAILROOM_DNS_SERVERS / --dns-servers (`host[:port]`, IPv6 in
 * brackets), and without it the system's (/etc/resolv.conf's nameserver lines, resolv.conf(5)).
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { parseDnsServers, parseResolvConf, reverseName, systemDnsServers } from "../../src/dns/mod.ts";

describe("parseDnsServers()", () => {
  test("reads IPv4 and IPv6 servers with and without ports", () => {
    expect(parseDnsServers("127.0.0.1, 127.0.0.2:5353,[::1]:5300,::1,[0:0::1]")).toEqual([
      { host: "127.0.0.1", port: 53 },
      { host: "127.0.0.2", port: 5353 },
      { host: "::1", port: 5300 },
      { host: "::1", port: 53 },
      { host: "::1", port: 53 },
    ]);
    expect(parseDnsServers("")).toEqual([]);
  });

  test("rejects host names (they would need DNS themselves) and bad ports", () => {
    for (const bad of ["dns.example", "127.0.0.1:0", "127.0.0.1:70000", "[::1]:", "1.2.3", "::1:53:x"])
      expect(() => parseDnsServers(bad)).toThrow(/bad/);
  });
});

describe("the system's servers", () => {
  test("parseResolvConf() takes the nameserver lines, at most three, and skips what it cannot use", () => {
    const text = [
      "# generated",
      "search example.org",
      "nameserver 192.0.2.53",
      "nameserver fe80::1%eth0",
      "nameserver not-an-address",
      "options edns0 trust-ad",
      "nameserver 2001:db8::53",
      "nameserver 192.0.2.54",
    ].join("\n");
    expect(parseResolvConf(text)).toEqual([
      { host: "192.0.2.53", port: 53 },
      { host: "fe80::1%eth0", port: 53 },
      { host: "2001:db8::53", port: 53 },
    ]);
  });

  test("systemDnsServers() reads the given resolv.conf", () => {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-resolv-"));
    try {
      writeFileSync(join(dir, "resolv.conf"), "nameserver 127.0.0.53\n");
      expect(systemDnsServers(join(dir, "resolv.conf"))).toEqual([{ host: "127.0.0.53", port: 53 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("MAILROOM_DNS_SERVERS / --dns-servers", () => {
  test("the variable and the flag set the servers; the flag wins; unset means the system's", () => {
    const env = { MAILROOM_DNS_SERVERS: "127.0.0.1:5353" };
    expect(loadConfig(new Map(), env).dnsServers).toEqual([{ host: "127.0.0.1", port: 5353 }]);
    expect(loadConfig(new Map([["--dns-servers", "[::1]:53"]]), env).dnsServers).toEqual([
      { host: "::1", port: 53 },
    ]);
    expect(loadConfig(new Map(), {}).dnsServers).toEqual([]);
  });

  test("a bad value stops the start with a message naming the setting", () => {
    expect(() => loadConfig(new Map(), { MAILROOM_DNS_SERVERS: "dns.google" })).toThrow(ConfigError);
    expect(() => loadConfig(new Map(), { MAILROOM_DNS_SERVERS: "dns.google" })).toThrow(
      /MAILROOM_DNS_SERVERS/,
    );
  });
});

test("reverseName() builds in-addr.arpa and ip6.arpa names (RFC 1035 §3.5, RFC 3596 §2.5)", () => {
  expect(reverseName("192.0.2.1")).toBe("1.2.0.192.in-addr.arpa");
  expect(reverseName("2001:db8::1")).toBe(
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
  );
  expect(reverseName("::ffff:192.0.2.1")).toBe(
    "1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa",
  );
  expect(reverseName("mx.example.org")).toBeUndefined();
});
