/**
 * When DNS does not simply answer: servers that never reply, SERVFAIL and REFUSED, a dead first
 * server, answers too large for UDP (TC, then TCP: RFC 7766 §5), and hostile replies — garbage, a
 * wrong ID, another question, a reply from the wrong port, a broken body. Each ends in a typed
 * result within a bounded time (temperror for every failure, RFC 7208 §2.6.6): never a throw, never
 * a hang, never an empty "ok". Real sockets throughout: Knot for the well-behaved cases, scripted
 * UDP/TCP sockets (dns-scripted.ts) for the misbehaving ones.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { type DecodedPacket, encode } from "dns-packet";
import fc from "fast-check";
import { DnsResolver } from "../../src/dns/mod.ts";
import { encodeQuery, interpret, readReply } from "../../src/dns/wire.ts";
import { type Script, type ScriptedDnsServer, startScriptedDnsServer } from "../harness/dns-scripted.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";

let knot: TestDnsServer;
const BIG = Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, "0")}-${"x".repeat(150)}`);

beforeAll(async () => {
  knot = await startDnsServer([
    {
      origin: "ok.example",
      records: [
        { name: "@", type: "A", value: "192.0.2.1" },
        ...BIG.map((value) => ({ name: "big", type: "TXT", value })),
      ],
    },
    { origin: "broken.example", records: [], broken: true },
  ]);
});

afterAll(async () => {
  await knot.stop();
});

/** A reply to `query` with the given flags and answers (by default: echo the question, one A record). */
function reply(query: DecodedPacket, overrides: Partial<Parameters<typeof encode>[0]> = {}): Buffer {
  return encode({
    type: "response",
    id: query.id,
    flags: 0x0100 | 0x0080,
    questions: query.questions,
    answers: [{ type: "A", name: query.questions![0]!.name, ttl: 60, data: "192.0.2.99" }],
    ...overrides,
  });
}

async function withScripted(
  udp: Script,
  body: (server: ScriptedDnsServer) => Promise<void>,
  tcp?: Script,
): Promise<void> {
  const server = await startScriptedDnsServer(udp, tcp);
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

describe("DNS failures", () => {
  test("a server that never answers gives temperror (timeout) after the bounded tries", async () => {
    await withScripted(
      () => null,
      async (silent) => {
        const dns = new DnsResolver({ servers: [silent.server], timeoutMs: 200, rounds: 2 });
        const { value, ms } = await timed(() => dns.txt("example.org"));
        expect(value).toMatchObject({ kind: "temperror", cause: "timeout" });
        expect(silent.received.udp).toBe(2);
        expect(ms).toBeGreaterThanOrEqual(380);
        expect(ms).toBeLessThan(2_000);
        dns.close();
      },
    );
  });

  test("SERVFAIL and REFUSED are temperrors with their cause", async () => {
    const dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1_000 });
    expect(await dns.a("x.broken.example")).toMatchObject({ kind: "temperror", cause: "servfail" });
    expect(await dns.a("not-served.test")).toMatchObject({ kind: "temperror", cause: "refused" });
    dns.close();
  });

  test("the first server dead, the second answers; later lookups go to the one that answered", async () => {
    await withScripted(
      () => null,
      async (silent) => {
        const dns = new DnsResolver({ servers: [silent.server, knot.server], timeoutMs: 300 });
        const first = await timed(() => dns.a("ok.example"));
        expect(first.value).toMatchObject({ kind: "ok", records: ["192.0.2.1"] });
        expect(first.ms).toBeGreaterThanOrEqual(280);
        expect(silent.received.udp).toBe(1);
        const second = await timed(() => dns.txt("ok.example"));
        expect(second.value.kind).toBe("nodata");
        expect(second.ms).toBeLessThan(250);
        expect(silent.received.udp).toBe(1);
        dns.close();
      },
    );
  });

  test("a port where nothing listens fails over at once (ICMP port unreachable)", async () => {
    const closed = createSocket("udp4");
    const port = await new Promise<number>((resolve) =>
      closed.bind(0, "127.0.0.1", () => resolve(closed.address().port)),
    );
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dns = new DnsResolver({ servers: [{ host: "127.0.0.1", port }, knot.server], timeoutMs: 2_000 });
    const { value, ms } = await timed(() => dns.a("ok.example"));
    expect(value).toMatchObject({ kind: "ok" });
    expect(ms).toBeLessThan(1_500);
    dns.close();
  });

  test("an answer too large for UDP comes truncated and is fetched whole over TCP (RFC 7766 §5)", async () => {
    const dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1_000 });
    const before = await knot.protocolCounts();
    const txt = await dns.txt("big.ok.example");
    expect(txt.kind).toBe("ok");
    if (txt.kind === "ok") expect([...txt.records].sort()).toEqual(BIG);
    const after = await knot.protocolCounts();
    expect((after.udp4 ?? 0) - (before.udp4 ?? 0)).toBe(1);
    expect((after.tcp4 ?? 0) - (before.tcp4 ?? 0)).toBe(1);
    dns.close();
  });

  test("truncated over UDP and silent over TCP is a temperror, not the partial answer", async () => {
    await withScripted(
      (q) => reply(q, { flags: 0x0100 | 0x0080 | 0x0200, answers: [] }),
      async (server) => {
        const dns = new DnsResolver({ servers: [server.server], timeoutMs: 200, rounds: 1 });
        expect(await dns.a("t.example")).toMatchObject({ kind: "temperror", cause: "timeout" });
        expect(server.received.tcp).toBe(1);
        dns.close();
      },
      () => null,
    );
  });

  test("a server that answers FORMERR to EDNS0 is asked again without it (RFC 6891 §7)", async () => {
    await withScripted(
      (q) =>
        q.additionals?.some((a) => a.type === "OPT")
          ? reply(q, { flags: 0x0100 | 0x0001, answers: [] })
          : reply(q),
      async (server) => {
        const dns = new DnsResolver({ servers: [server.server], timeoutMs: 500 });
        expect(await dns.a("old.example")).toMatchObject({ kind: "ok", records: ["192.0.2.99"] });
        expect(server.received.udp).toBe(2);
        dns.close();
      },
    );
  });
});

describe("hostile answers", () => {
  const spoofs: Array<[string, Script]> = [
    ["random bytes", () => Buffer.from(Array.from({ length: 40 }, () => Math.floor(Math.random() * 256)))],
    ["a short datagram", () => Buffer.from([1, 2, 3])],
    ["the right answer with a wrong ID", (q) => reply(q, { id: (q.id! + 1) % 65536 })],
    [
      "an answer to another question",
      (q) => reply(q, { questions: [{ type: "A", class: "IN", name: "evil.example" }] }),
    ],
    ["a query instead of a response", (q) => encode({ type: "query", id: q.id, questions: q.questions })],
  ];
  for (const [what, script] of spoofs) {
    test(`${what} is ignored: the lookup waits for the real answer and times out without it`, async () => {
      await withScripted(script, async (server) => {
        const dns = new DnsResolver({ servers: [server.server], timeoutMs: 150, rounds: 1 });
        expect(await dns.a("victim.example")).toMatchObject({ kind: "temperror", cause: "timeout" });
        dns.close();
      });
    });
  }

  test("a spoofed answer first, then the real one: the real one wins", async () => {
    await withScripted(
      (q) => [
        reply(q, { id: (q.id! + 7) % 65536, answers: [{ type: "A", name: "v.example", data: "6.6.6.6" }] }),
        reply(q),
      ],
      async (server) => {
        const dns = new DnsResolver({ servers: [server.server], timeoutMs: 500 });
        expect(await dns.a("v.example")).toMatchObject({ kind: "ok", records: ["192.0.2.99"] });
        dns.close();
      },
    );
  });

  test("a reply from another port than the server's is ignored", async () => {
    const other = createSocket("udp4");
    await new Promise<void>((resolve) => other.bind(0, "127.0.0.1", () => resolve()));
    await withScripted(
      (q, _raw, from) => {
        other.send(reply(q), from.port, from.address);
        return null;
      },
      async (server) => {
        const dns = new DnsResolver({ servers: [server.server], timeoutMs: 200, rounds: 1 });
        expect(await dns.a("v.example")).toMatchObject({ kind: "temperror", cause: "timeout" });
        dns.close();
      },
    );
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });

  test("our ID with a body that does not parse is a temperror (malformed) at once", async () => {
    await withScripted(
      (q) => {
        const good = reply(q);
        // Cut the answer record short: the header still counts one answer.
        return good.subarray(0, good.length - 3);
      },
      async (server) => {
        const dns = new DnsResolver({ servers: [server.server], timeoutMs: 2_000, rounds: 1 });
        const { value, ms } = await timed(() => dns.a("m.example"));
        expect(value).toMatchObject({ kind: "temperror", cause: "malformed" });
        expect(ms).toBeLessThan(1_000);
        dns.close();
      },
    );
  });

  test("a CNAME loop in the answer is malformed, not an answer", async () => {
    const loop: Script = (q) =>
      reply(q, {
        answers: [
          { type: "CNAME", name: q.questions![0]!.name, data: "loop.example", ttl: 5 },
          { type: "CNAME", name: "loop.example", data: q.questions![0]!.name, ttl: 5 },
        ],
      });
    await withScripted(loop, async (server) => {
      const dns = new DnsResolver({ servers: [server.server], timeoutMs: 500, rounds: 1 });
      expect(await dns.a("c.example")).toMatchObject({ kind: "temperror", cause: "malformed" });
      dns.close();
    });
  });

  test("readReply() and interpret() never throw, whatever the bytes after a matching header", () => {
    const q = { id: 4242, name: "fuzz.example", type: "TXT" as const, dnssec: false, edns: true };
    const valid = encode({
      type: "response",
      id: q.id,
      flags: 0x0100 | 0x0080,
      questions: [{ type: "TXT", class: "IN", name: q.name }],
      answers: [{ type: "TXT", name: q.name, ttl: 60, data: ["hello", "world"] }],
      authorities: [
        {
          type: "SOA",
          name: "example",
          ttl: 60,
          data: {
            mname: "ns.example",
            rname: "h.example",
            serial: 1,
            refresh: 1,
            retry: 1,
            expire: 1,
            minimum: 1,
          },
        },
      ],
    });
    expect(readReply(encodeQuery(q), q).kind).toBe("foreign");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length + 8), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        fc.nat(valid.length),
        (flips, cut) => {
          const bytes = Buffer.from(valid);
          for (const [at, value] of flips) if (at >= 12 && at < bytes.length) bytes[at] = value;
          const mutated = bytes.subarray(0, Math.max(12, cut));
          const read = readReply(mutated, q);
          if (read.kind === "answer") {
            const result = interpret(read.packet, q);
            expect(typeof result.kind).toBe("string");
          }
          return true;
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

describe("bounds", () => {
  test("past the waiting line a lookup fails at once with temperror (overload)", async () => {
    await withScripted(
      () => null,
      async (silent) => {
        const dns = new DnsResolver({
          servers: [silent.server],
          timeoutMs: 300,
          rounds: 1,
          maxInFlight: 1,
          maxWaiting: 1,
        });
        const running = dns.a("one.example");
        const waiting = dns.a("two.example");
        const { value, ms } = await timed(() => dns.a("three.example"));
        expect(value).toMatchObject({ kind: "temperror", cause: "overload" });
        expect(ms).toBeLessThan(100);
        expect((await running).kind).toBe("temperror");
        expect((await waiting).kind).toBe("temperror");
        dns.close();
      },
    );
  });

  test("close() ends lookups in flight and later ones with temperror (closed)", async () => {
    let asked!: () => void;
    const queried = new Promise<void>((resolve) => {
      asked = resolve;
    });
    await withScripted(
      () => {
        asked();
        return null;
      },
      async (silent) => {
        const dns = new DnsResolver({ servers: [silent.server], timeoutMs: 5_000 });
        const pending = timed(() => dns.a("slow.example"));
        await queried;
        dns.close();
        const { value, ms } = await pending;
        expect(value).toMatchObject({ kind: "temperror", cause: "closed" });
        expect(ms).toBeLessThan(1_000);
        expect(await dns.a("later.example")).toMatchObject({ kind: "temperror", cause: "closed" });
      },
    );
  });

  test("a resolver without servers answers temperror and sends nothing", async () => {
    const dns = new DnsResolver({ servers: [] });
    expect(await dns.mx("example.org")).toMatchObject({ kind: "temperror", cause: "network" });
  });
});
