/**
 * The resolver's cache against a real server whose zone the test changes: an answer is reused for
 * its TTL and asked again after (RFC 1035 §3.2.1), a negative answer for the SOA minimum (RFC 2308
 * §5), a failure not at all; identical lookups in flight share a query; the cache is bounded. The
 * clock is the resolver's `now` option, moved by the test (no sleeping); knot's own counters
 * (mod-stats) show whether a lookup reached the server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DnsResolver } from "../../src/dns/mod.ts";
import { startDnsServer, type TestDnsServer, type Zone } from "../harness/dns-server.ts";

let knot: TestDnsServer;
const zone = (records: Zone["records"]): Zone => ({ origin: "cache.example", negativeTtl: 30, records });

beforeAll(async () => {
  knot = await startDnsServer([zone([]), { origin: "fail.example", records: [], broken: true }]);
});

afterAll(async () => {
  await knot.stop();
});

/** A resolver on a clock the test moves. */
function clocked(options: { cacheEntries?: number } = {}) {
  let now = 1_000_000;
  const dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1_000, now: () => now, ...options });
  return { dns, advance: (seconds: number) => (now += seconds * 1000) };
}

const count = async (type: string) => (await knot.queryCounts())[type] ?? 0;

describe("the DNS cache", () => {
  test("an answer is reused for its TTL, then asked again and the new data seen", async () => {
    await knot.setZone(zone([{ name: "a", type: "TXT", ttl: 60, value: "first" }]));
    const { dns, advance } = clocked();
    const before = await count("TXT");
    expect(await dns.txt("a.cache.example")).toMatchObject({ kind: "ok", records: ["first"], ttl: 60 });
    await knot.setZone(zone([{ name: "a", type: "TXT", ttl: 60, value: "second" }]));
    advance(59);
    // Still the cached answer, with the TTL that is left; the server was not asked.
    expect(await dns.txt("a.cache.example")).toMatchObject({ records: ["first"], ttl: 1 });
    expect(await count("TXT")).toBe(before + 1);
    advance(2);
    expect(await dns.txt("a.cache.example")).toMatchObject({ records: ["second"], ttl: 60 });
    expect(await count("TXT")).toBe(before + 2);
    dns.close();
  });

  test("NXDOMAIN is cached for the SOA minimum (RFC 2308 §5), then the new record is found", async () => {
    await knot.setZone(zone([]));
    const { dns, advance } = clocked();
    const before = await count("A");
    expect(await dns.a("new.cache.example")).toMatchObject({ kind: "nxdomain", ttl: 30 });
    await knot.setZone(zone([{ name: "new", type: "A", value: "192.0.2.5" }]));
    advance(29);
    expect(await dns.a("new.cache.example")).toMatchObject({ kind: "nxdomain" });
    expect(await count("A")).toBe(before + 1);
    advance(2);
    expect(await dns.a("new.cache.example")).toMatchObject({ kind: "ok", records: ["192.0.2.5"] });
    expect(await count("A")).toBe(before + 2);
    dns.close();
  });

  test("NODATA is cached like NXDOMAIN", async () => {
    await knot.setZone(zone([{ name: "host", type: "A", value: "192.0.2.6" }]));
    const { dns } = clocked();
    const before = await count("AAAA");
    expect(await dns.aaaa("host.cache.example")).toMatchObject({ kind: "nodata", ttl: 30 });
    expect(await dns.aaaa("host.cache.example")).toMatchObject({ kind: "nodata" });
    expect(await count("AAAA")).toBe(before + 1);
    dns.close();
  });

  test("a failure (SERVFAIL) is not cached: the next lookup asks again", async () => {
    const { dns } = clocked();
    const before = await count("MX");
    expect(await dns.mx("fail.example")).toMatchObject({ kind: "temperror", cause: "servfail" });
    const afterFirst = await count("MX");
    expect(afterFirst).toBeGreaterThan(before);
    expect(await dns.mx("fail.example")).toMatchObject({ kind: "temperror" });
    expect(await count("MX")).toBeGreaterThan(afterFirst);
    dns.close();
  });

  test("identical lookups at the same time share one query", async () => {
    await knot.setZone(zone([{ name: "burst", type: "TXT", value: "x" }]));
    const { dns } = clocked();
    const before = await count("TXT");
    const results = await Promise.all(Array.from({ length: 10 }, () => dns.txt("burst.cache.example")));
    expect(results.every((r) => r.kind === "ok")).toBe(true);
    expect(await count("TXT")).toBe(before + 1);
    dns.close();
  });

  test("a TTL of 0 is held a second; a huge TTL at most a day", async () => {
    await knot.setZone(
      zone([
        { name: "zero", type: "TXT", ttl: 0, value: "z" },
        { name: "forever", type: "TXT", ttl: 2_000_000_000, value: "f" },
      ]),
    );
    const { dns, advance } = clocked();
    const before = await count("TXT");
    await dns.txt("zero.cache.example");
    await dns.txt("zero.cache.example");
    await dns.txt("forever.cache.example");
    expect(await count("TXT")).toBe(before + 2);
    advance(2);
    await dns.txt("zero.cache.example");
    await dns.txt("forever.cache.example");
    expect(await count("TXT")).toBe(before + 3);
    advance(86_400);
    await dns.txt("forever.cache.example");
    expect(await count("TXT")).toBe(before + 4);
    dns.close();
  });

  test("the cache is bounded: beyond its size the least recently used answer is dropped", async () => {
    await knot.setZone(
      zone([
        { name: "one", type: "A", value: "192.0.2.1" },
        { name: "two", type: "A", value: "192.0.2.2" },
        { name: "three", type: "A", value: "192.0.2.3" },
      ]),
    );
    const { dns } = clocked({ cacheEntries: 2 });
    const before = await count("A");
    await dns.a("one.cache.example");
    await dns.a("two.cache.example");
    await dns.a("one.cache.example"); // cached; "two" is now the least recently used
    await dns.a("three.cache.example"); // evicts "two"
    expect(await count("A")).toBe(before + 3);
    await dns.a("one.cache.example");
    expect(await count("A")).toBe(before + 3);
    await dns.a("two.cache.example");
    expect(await count("A")).toBe(before + 4);
    dns.close();
  });
});
