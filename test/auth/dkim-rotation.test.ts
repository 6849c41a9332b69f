/**
 * DKIM key lifecycle over the admin API: every local domain has keys (created with the domain, or
 * at start-up for one that had none), rotation makes a new generation active while the old keys
 * stay published for the grace period — mail signed before and after both verify — and a retired
 * key drops out of the DNS records and loses its private key. Private keys never appear in answers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { CheckedRecord } from "../../src/auth/dns-check.ts";
import { domainCreate } from "../../src/store/mod.ts";
import { startTestServer } from "../harness/server.ts";
import { ALICE, arrival, type Pair, signatureTags, startPair, submit } from "./pair.ts";
import { dkimpyVerdicts, mailauthVerdicts } from "./verifiers.ts";

interface KeyJson {
  selector: string;
  algorithm: "rsa-sha256" | "ed25519-sha256";
  state: "active" | "retiring" | "retired";
  createdAt: number;
  retireAt: number | null;
}

let pair: Pair;
const DAY = 86_400_000;

beforeAll(async () => {
  pair = await startPair();
  await pair.publish();
}, 60_000);

afterAll(async () => {
  await pair?.close();
});

async function keys(domain = "a.example"): Promise<KeyJson[]> {
  const res = await pair.a.api(`/api/v1/domains/${domain}/dkim`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: KeyJson[] }).items;
}

async function dkimRecordNames(): Promise<string[]> {
  const res = await pair.a.api("/api/v1/domains/a.example/dns");
  const { items } = (await res.json()) as { items: CheckedRecord[] };
  return items
    .filter((i) => i.name.includes("._domainkey."))
    .map((i) => i.name)
    .sort();
}

const message = (subject: string) =>
  `From: alice@a.example\r\nTo: bob@example.org\r\nSubject: ${subject}\r\nDate: Fri, 2 Jan 2026 10:00:00 +0000\r\n\r\nHi.\r\n`;

async function send(subject: string): Promise<Buffer> {
  expect(await submit(pair.a.ports.submission!, ALICE, ["bob@example.org"], message(subject))).toBe(250);
  return arrival(pair.b, "bob@example.org", (r) => r.includes(`Subject: ${subject}`));
}

async function bothPass(raw: Uint8Array): Promise<void> {
  for (const verdicts of [
    await mailauthVerdicts(raw, pair.knot.server),
    await dkimpyVerdicts(raw, pair.knot.server),
  ]) {
    expect(verdicts.map((v) => v.result)).toEqual(["pass", "pass"]);
  }
}

describe("keys of a domain", () => {
  test("GET .../dkim lists one active RSA and one active Ed25519 key, each with its own selector", async () => {
    const list = await keys();
    expect(list.map((k) => [k.algorithm, k.state]).sort()).toEqual([
      ["ed25519-sha256", "active"],
      ["rsa-sha256", "active"],
    ]);
    expect(new Set(list.map((k) => k.selector)).size).toBe(2);
    for (const k of list) {
      expect(k.selector).toMatch(/^mr\d{6}[0-9a-z]{4}[re]$/);
      expect(Object.keys(k).sort()).toEqual(["algorithm", "createdAt", "retireAt", "selector", "state"]);
      expect(k.retireAt).toBeNull();
    }
  });

  test("a domain created over the API has its keys at once; no answer ever carries a private key", async () => {
    const created = await pair.a.api("/api/v1/domains", { method: "POST", json: { name: "new.example" } });
    expect(created.status).toBe(201);
    const rows = await pair.a.store.execute(
      "SELECT k.state FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE d.name = 'new.example'",
    );
    expect(rows.map((r) => r.state)).toEqual(["active", "active"]);
    for (const path of ["/api/v1/domains/new.example/dkim", "/api/v1/domains/new.example/dns"]) {
      const text = await (await pair.a.api(path)).text();
      expect(text).not.toContain("PRIVATE KEY");
    }
    expect((await pair.a.api("/api/v1/domains/new.example", { method: "DELETE" })).status).toBe(204);
    expect(
      await pair.a.store.execute("SELECT id FROM dkim_keys WHERE domain_id NOT IN (SELECT id FROM domains)"),
    ).toEqual([]);
  });

  test("a domain that had no keys gets them at start-up", async () => {
    const first = await startTestServer({ domain: "first.example" });
    // Added through the store, not the API (as in a database from before DKIM support): no keys.
    await first.store.write((w) => domainCreate(w, "old.example"));
    await first.stop();
    const again = await startTestServer({ domain: "first.example" }, { dataDir: first.dataDir });
    try {
      const deadline = Date.now() + 15_000;
      let states: unknown[] = [];
      while (Date.now() < deadline) {
        states = (
          await again.store.execute(
            "SELECT k.state FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE d.name = 'old.example'",
          )
        ).map((r) => r.state);
        if (states.length === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(states).toEqual(["active", "active"]);
    } finally {
      await again.close();
    }
  }, 30_000);

  test("an unknown domain is a 404 for the key list, the rotation and the records", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/domains/nowhere.example/dkim"],
      ["POST", "/api/v1/domains/nowhere.example/dkim/rotate"],
      ["GET", "/api/v1/domains/nowhere.example/dns"],
    ] as const) {
      const res = await pair.a.api(path, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});

describe("rotation", () => {
  test("after a rotation mail signed with the old and with the new keys both verify; retirement removes the old records", async () => {
    const before = await keys();
    const oldSelectors = before.map((k) => k.selector).sort();
    const early = await send("before rotation");
    await bothPass(early);

    const res = await pair.a.api("/api/v1/domains/a.example/dkim/rotate", { method: "POST" });
    expect(res.status).toBe(200);
    const rotated = ((await res.json()) as { items: KeyJson[] }).items;
    const retiring = rotated.filter((k) => k.state === "retiring");
    const active = rotated.filter((k) => k.state === "active");
    expect(retiring.map((k) => k.selector).sort()).toEqual(oldSelectors);
    expect(active.map((k) => k.algorithm).sort()).toEqual(["ed25519-sha256", "rsa-sha256"]);
    expect(active.some((k) => oldSelectors.includes(k.selector))).toBe(false);
    // The default grace period: seven days.
    for (const k of retiring) expect(Math.abs(k.retireAt! - (Date.now() + 7 * DAY))).toBeLessThan(60_000);

    // During the grace period both generations are published, and both verify.
    const newSelectors = active.map((k) => k.selector).sort();
    expect(await dkimRecordNames()).toEqual(
      [...oldSelectors, ...newSelectors].map((s) => `${s}._domainkey.a.example`).sort(),
    );
    await pair.publish();
    const late = await send("after rotation");
    expect(
      signatureTags(late)
        .map((s) => s.s)
        .sort(),
    ).toEqual(newSelectors);
    await bothPass(late);
    await bothPass(early);

    // Eight days on, the old keys are retired: gone from the records, their private keys erased.
    expect((await pair.a.dkim.retireDue(Date.now() + 8 * DAY)).sort()).toEqual(oldSelectors);
    expect(await dkimRecordNames()).toEqual(newSelectors.map((s) => `${s}._domainkey.a.example`).sort());
    const after = await keys();
    expect(
      after
        .filter((k) => k.state === "retired")
        .map((k) => k.selector)
        .sort(),
    ).toEqual(oldSelectors);
    const erased = await pair.a.store.execute("SELECT private_key FROM dkim_keys WHERE state = 'retired'");
    expect(erased.map((r) => r.private_key)).toEqual(["", ""]);
    // New mail is still signed by the new keys.
    await pair.publish();
    await bothPass(await send("after retirement"));
  }, 60_000);

  test("with MAILROOM_DKIM_GRACE short, the timer retires rotated keys by itself", async () => {
    const server = await startTestServer({ domain: "grace.example", dkimGrace: 300 });
    try {
      await server.api("/api/v1/domains/grace.example/dkim");
      const res = await server.api("/api/v1/domains/grace.example/dkim/rotate", { method: "POST" });
      expect(res.status).toBe(200);
      const deadline = Date.now() + 10_000;
      let rows: Array<Record<string, unknown>> = [];
      while (Date.now() < deadline) {
        rows = await server.store.execute("SELECT state, private_key FROM dkim_keys WHERE state != 'active'");
        if (rows.length === 2 && rows.every((r) => r.state === "retired")) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(rows.map((r) => [r.state, r.private_key])).toEqual([
        ["retired", ""],
        ["retired", ""],
      ]);
    } finally {
      await server.close();
    }
  }, 30_000);
});
