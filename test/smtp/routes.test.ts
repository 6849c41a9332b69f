/**
 * Routing (RFC 5321 §5.1, RFC 7505) over real DNS: Knot serves the zones, our resolver asks it.
 * Static routes, MX order, each MX host's addresses, the A/AAAA fallback, the null MX, and what a
 * DNS failure or a missing domain turns into (4.4.3 try later, 5.1.2 / 5.1.10 / 5.4.4 bounce).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DnsResolver } from "../../src/dns/mod.ts";
import { orderMx, routeResolve, staticRoute } from "../../src/smtp/delivery/routes.ts";
import { startScriptedDnsServer } from "../harness/dns-scripted.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";

let knot: TestDnsServer;
let dns: DnsResolver;

beforeAll(async () => {
  knot = await startDnsServer([
    {
      origin: "d.example",
      records: [
        { name: "@", type: "MX", value: "20 backup.d.example." },
        { name: "@", type: "MX", value: "10 mx1.d.example." },
        { name: "@", type: "MX", value: "30 MX1.d.example." },
        { name: "mx1", type: "A", value: "192.0.2.10" },
        { name: "mx1", type: "AAAA", value: "2001:db8::10" },
        { name: "backup", type: "A", value: "192.0.2.20" },
        { name: "smarthost", type: "A", value: "192.0.2.99" },
      ],
    },
    {
      origin: "n.example",
      records: [
        { name: "@", type: "MX", value: "0 ." },
        { name: "@", type: "A", value: "192.0.2.1" },
      ],
    },
    { origin: "plain.example", records: [{ name: "@", type: "AAAA", value: "2001:db8::1" }] },
    { origin: "empty.example", records: [] },
    {
      origin: "partial.example",
      records: [
        { name: "@", type: "MX", value: "10 ghost.partial.example." },
        { name: "@", type: "MX", value: "20 real.partial.example." },
        { name: "real", type: "A", value: "192.0.2.30" },
      ],
    },
    { origin: "ghosts.example", records: [{ name: "@", type: "MX", value: "10 ghost.ghosts.example." }] },
    { origin: "s.example", records: [], broken: true },
  ]);
  dns = new DnsResolver({ servers: [knot.server], timeoutMs: 500 });
});

afterAll(async () => {
  dns.close();
  await knot.stop();
});

describe("routeResolve()", () => {
  test("a static route for the exact domain wins over '*' and over DNS", async () => {
    const before = await knot.queryCounts();
    const routes = [
      { domain: "*", host: "smarthost.d.example", port: 587 },
      { domain: "d.example", host: "127.0.0.1", port: 2526 },
    ];
    expect(await routeResolve("D.example", { routes, resolver: dns })).toEqual({
      kind: "hosts",
      hosts: [{ host: "127.0.0.1", port: 2526, route: routes[1]! }],
      via: "route",
    });
    // An address literal needs no DNS at all.
    expect(await knot.queryCounts()).toEqual(before);
    expect(staticRoute([], "x.example")).toBeUndefined();
  });

  test("a route's host name is resolved through our resolver (never the system's)", async () => {
    const routes = [{ domain: "*", host: "smarthost.d.example", port: 587 }];
    const before = (await knot.queryCounts()).A ?? 0;
    expect(await routeResolve("c.example", { routes, resolver: dns })).toEqual({
      kind: "hosts",
      hosts: [{ host: "smarthost.d.example", port: 587, route: routes[0]!, addresses: ["192.0.2.99"] }],
      via: "route",
    });
    expect((await knot.queryCounts()).A ?? 0).toBe(before + 1);
    const nowhere = [{ domain: "*", host: "ghost.d.example", port: 587 }];
    expect(await routeResolve("c.example", { routes: nowhere, resolver: dns })).toMatchObject({
      kind: "temporary",
      status: "4.4.3",
    });
  });

  test("MX hosts come in preference order with their addresses, without duplicates", async () => {
    expect(await routeResolve("d.example", { routes: [], resolver: dns })).toEqual({
      kind: "hosts",
      hosts: [
        { host: "mx1.d.example", port: 25, addresses: ["192.0.2.10", "2001:db8::10"], dnssec: false },
        { host: "backup.d.example", port: 25, addresses: ["192.0.2.20"], dnssec: false },
      ],
      via: "mx",
    });
  });

  test("orderMx() shuffles only hosts of equal preference", () => {
    const records = [
      { exchange: "c", preference: 5 },
      { exchange: "a", preference: 10 },
      { exchange: "b", preference: 10 },
    ];
    let n = 0;
    const descending = () => 1 - (n++ % 3) / 3;
    expect(orderMx(records, descending)[0]).toBe("c");
    expect(new Set(orderMx(records, descending).slice(1))).toEqual(new Set(["a", "b"]));
  });

  test("a null MX (RFC 7505) fails at once with 5.1.10 and never asks for the A record", async () => {
    const before = (await knot.queryCounts()).A ?? 0;
    const result = await routeResolve("n.example", { routes: [], resolver: dns });
    expect(result).toMatchObject({ kind: "permanent", status: "5.1.10" });
    expect((await knot.queryCounts()).A ?? 0).toBe(before);
  });

  test("without MX records the domain's own address is used (RFC 5321 §5.1)", async () => {
    expect(await routeResolve("plain.example", { routes: [], resolver: dns })).toEqual({
      kind: "hosts",
      hosts: [{ host: "plain.example", port: 25, addresses: ["2001:db8::1"], dnssec: false }],
      via: "address",
    });
  });

  test("an MX host without an address is skipped; when none has one the mail bounces with 5.4.4", async () => {
    expect(await routeResolve("partial.example", { routes: [], resolver: dns })).toEqual({
      kind: "hosts",
      hosts: [{ host: "real.partial.example", port: 25, addresses: ["192.0.2.30"], dnssec: false }],
      via: "mx",
    });
    expect(await routeResolve("ghosts.example", { routes: [], resolver: dns })).toMatchObject({
      kind: "permanent",
      status: "5.4.4",
    });
  });

  test("a domain that does not exist, or has neither MX nor address, fails for good (5.1.2)", async () => {
    expect(await routeResolve("gone.d.example", { routes: [], resolver: dns })).toMatchObject({
      kind: "permanent",
      status: "5.1.2",
    });
    expect(await routeResolve("empty.example", { routes: [], resolver: dns })).toMatchObject({
      kind: "permanent",
      status: "5.1.2",
    });
  });

  test("a DNS failure (SERVFAIL, a server that never answers) is temporary (4.4.3)", async () => {
    expect(await routeResolve("s.example", { routes: [], resolver: dns })).toMatchObject({
      kind: "temporary",
      status: "4.4.3",
    });
    const silent = await startScriptedDnsServer(() => null);
    const deaf = new DnsResolver({ servers: [silent.server], timeoutMs: 200, rounds: 1 });
    try {
      expect(await routeResolve("d.example", { routes: [], resolver: deaf })).toMatchObject({
        kind: "temporary",
        status: "4.4.3",
      });
    } finally {
      deaf.close();
      await silent.stop();
    }
  });

  test("an address literal is its own host and asks no DNS", async () => {
    const before = await knot.queryCounts();
    expect(await routeResolve("[127.0.0.1]", { routes: [], resolver: dns })).toEqual({
      kind: "hosts",
      hosts: [{ host: "127.0.0.1", port: 25 }],
      via: "address",
    });
    expect(await knot.queryCounts()).toEqual(before);
  });
});
