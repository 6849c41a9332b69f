/**
 * One user must not be able to freeze the server through its mailboxes: at most
 * MAILROOM_MAX_MAILBOXES per account (NO [LIMIT] in IMAP, a 409 problem in REST), names of at most
 * 255 octets, LIST patterns of bounded length and wildcards, matched in linear time, and LIST work
 * that lets the event loop breathe. The reproduction: 3,000 mailboxes of 1,005 characters and a
 * 2 KB `LIST "" "%a%a…%"` used to hold the only JavaScript thread for 39 s, /healthz included.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { accountGet, mailboxCreate } from "../../src/store/mod.ts";
import { enc, expectProblem } from "../api/helpers.ts";
import { type ChildServer, startChildServer } from "../harness/child-server.ts";
import { ImapClient, quote } from "../harness/imap-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";

/** Every account starts with six mailboxes (INBOX, Sent, Drafts, Trash, Junk, Archive). */
const DEFAULTS = 6;

describe("the mailbox limit per account", () => {
  let server: TestServer;
  let client: ImapClient;

  beforeAll(async () => {
    server = await startTestServer({ maxMailboxes: 10 });
    await createAccounts(server, [{ address: "full@example.com" }]);
    client = await ImapClient.login(server.ports.imap!, "full@example.com");
  });

  afterAll(async () => {
    await client.close();
    await server.close();
  });

  test("CREATE up to the limit works; one more is NO [LIMIT] and creates nothing", async () => {
    for (let i = 1; i <= 10 - DEFAULTS; i++)
      expect((await client.command(`CREATE box${i}`)).status).toBe("OK");
    const refused = await client.command("CREATE box99");
    expect(`${refused.status} ${refused.text}`).toStartWith("NO [LIMIT]");
    expect((await client.command('LIST "" "box99"')).untagged).toEqual([]);
  });

  test("CREATE whose missing parents would pass the limit is NO [LIMIT] and creates none of them", async () => {
    expect((await client.command("DELETE box1")).status).toBe("OK");
    expect((await client.command("DELETE box2")).status).toBe("OK");
    const refused = await client.command("CREATE x/y/z");
    expect(`${refused.status} ${refused.text}`).toStartWith("NO [LIMIT]");
    expect((await client.command('LIST "" "x*"')).untagged).toEqual([]);
    expect((await client.command("CREATE x/y")).status).toBe("OK");
  });

  test("RENAME INBOX (which creates a mailbox) is NO [LIMIT] at the limit; other renames work", async () => {
    const refused = await client.command("RENAME INBOX old-inbox");
    expect(`${refused.status} ${refused.text}`).toStartWith("NO [LIMIT]");
    expect((await client.command("RENAME box3 box3-renamed")).status).toBe("OK");
  });

  test("REST POST .../mailboxes at the limit is a 409 problem", async () => {
    const body = await expectProblem(
      await server.api(`/api/v1/accounts/${enc("full@example.com")}/mailboxes`, {
        method: "POST",
        json: { name: "one-more" },
      }),
      409,
    );
    expect(body.detail).toContain("10");
  });

  test("the limit is MAILROOM_MAX_MAILBOXES, 1000 by default", () => {
    const env = { MAILROOM_DATA_DIR: "/tmp/unused", MAILROOM_HOSTNAME: "mx.test.example" };
    expect(loadConfig(new Map(), env).maxMailboxes).toBe(1000);
    expect(loadConfig(new Map([["--max-mailboxes", "50"]]), env).maxMailboxes).toBe(50);
    expect(() => loadConfig(new Map(), { ...env, MAILROOM_MAX_MAILBOXES: "5" })).toThrow(
      "MAILROOM_MAX_MAILBOXES",
    );
  });
});

describe("mailbox name length", () => {
  let server: TestServer;
  let client: ImapClient;

  beforeAll(async () => {
    server = await startTestServer();
    await createAccounts(server, [{ address: "names@example.com" }]);
    client = await ImapClient.login(server.ports.imap!, "names@example.com");
  });

  afterAll(async () => {
    await client.close();
    await server.close();
  });

  test("CREATE takes a name of 255 octets and refuses one of 256 (also when multi-byte characters make it so)", async () => {
    expect((await client.command(`CREATE ${"n".repeat(255)}`)).status).toBe("OK");
    expect((await client.command(`CREATE ${"m".repeat(256)}`)).status).toBe("NO");
    // 128 "é" are 128 characters but 256 octets of UTF-8 (modified UTF-7 on the wire).
    const accented = `&${Buffer.from("é".repeat(128), "utf16le").swap16().toString("base64").replace(/=+$/, "").replaceAll("/", ",")}-`;
    expect((await client.command(`CREATE ${quote(accented)}`)).status).toBe("NO");
    // A too long name deep in a hierarchy creates none of its parents.
    expect((await client.command(`CREATE ${quote(`deep/${"d".repeat(260)}`)}`)).status).toBe("NO");
    expect((await client.command('LIST "" "deep"')).untagged).toEqual([]);
  });

  test("RENAME to a name of 256 octets, or of a parent whose child would pass 255, is NO and renames nothing", async () => {
    expect((await client.command(`CREATE ${quote(`p/${"c".repeat(250)}`)}`)).status).toBe("OK");
    expect((await client.command(`RENAME p ${"q".repeat(256)}`)).status).toBe("NO");
    expect((await client.command(`RENAME p ${"q".repeat(10)}`)).status).toBe("NO");
    expect((await client.command('LIST "" "p/*"')).untagged).toHaveLength(1);
  });

  test("REST create and rename refuse a name of 256 octets with 422", async () => {
    const base = `/api/v1/accounts/${enc("names@example.com")}/mailboxes`;
    await expectProblem(await server.api(base, { method: "POST", json: { name: "r".repeat(256) } }), 422);
    await expectProblem(
      await server.api(`${base}/Archive`, { method: "PATCH", json: { name: "r".repeat(256) } }),
      422,
    );
  });
});

describe("a heavy LIST", () => {
  let server: TestServer;

  /** As long and as alike as names may be: 255 octets, 250 of them "a". */
  const nameOf = (i: number) => `${"a".repeat(250)}${String(i).padStart(5, "0")}`;

  beforeAll(async () => {
    server = await startTestServer();
    await createAccounts(server, [{ address: "heavy@example.com" }]);
    const account = await accountGet(server.store.read, "heavy@example.com");
    // As many as the default limit allows, through the store (one commit) to keep the setup short.
    await server.store.write(async (w) => {
      for (let i = 0; i < 1000 - DEFAULTS; i++) await mailboxCreate(w, account.id, nameOf(i));
    });
  });

  afterAll(async () => {
    await server.close();
  });

  async function timedList(client: ImapClient, pattern: string) {
    const start = performance.now();
    const r = await client.command(`LIST "" ${quote(pattern)}`);
    return { r, ms: performance.now() - start };
  }

  test('the reproduction\'s 2 KB `LIST "" "%a%a…%"` is refused at once with NO [LIMIT]', async () => {
    const client = await ImapClient.login(server.ports.imap!, "heavy@example.com");
    try {
      const { r, ms } = await timedList(client, `${"%a".repeat(1000)}%`);
      expect(`${r.status} ${r.text}`).toStartWith("NO [LIMIT]");
      expect(ms).toBeLessThan(500);
      // So is a long pattern with few wildcards, and a LIST-EXTENDED with a great many patterns.
      expect((await timedList(client, `${"a".repeat(1100)}*`)).r.status).toBe("NO");
      const many = Array.from({ length: 100 }, (_, i) => quote(`%a${i}%`)).join(" ");
      expect((await client.command(`LIST "" (${many})`)).text).toStartWith("[LIMIT]");
    } finally {
      await client.close();
    }
  });
});

describe("the heaviest LIST allowed, on a server in its own process", () => {
  let child: ChildServer;
  const dataDir = mkdtempSync(join(tmpdir(), "mailroom-heavy-"));
  const TOKEN = "heavy-list-token-0123456789";

  /** As long and as alike as names may be: 255 octets, 250 of them "a". */
  const nameOf = (i: number) => `${"a".repeat(250)}${String(i).padStart(5, "0")}`;

  const api = (path: string, json: unknown) =>
    fetch(`http://127.0.0.1:${child.httpPort}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(json),
    });

  beforeAll(async () => {
    child = await startChildServer({
      env: {
        MAILROOM_DATA_DIR: dataDir,
        MAILROOM_HOSTNAME: "mx.test.example",
        MAILROOM_DOMAIN: "example.com",
        MAILROOM_ADMIN_TOKEN: TOKEN,
        MAILROOM_IMAP_PORT: "0",
      },
    });
    expect((await api("/api/v1/accounts", { address: "heavy@example.com", password: "secret" })).status).toBe(
      201,
    );
    // As many as the default limit allows, 25 requests at a time.
    const base = `/api/v1/accounts/${enc("heavy@example.com")}/mailboxes`;
    for (let i = 0; i < 1000 - DEFAULTS; i += 25) {
      const batch = Array.from({ length: Math.min(25, 1000 - DEFAULTS - i) }, (_, k) =>
        api(base, { name: nameOf(i + k) }),
      );
      for (const res of await Promise.all(batch)) expect(res.status).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    child.process.kill("SIGTERM");
    await child.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("16 patterns of up to 16 wildcards and 1 KB each, with STATUS, over 1,000 names of 255 octets: fast, and /healthz stays prompt", async () => {
    // Half of them match every name; the other half need more "a"s than any name has, which a
    // matcher simulating every pattern position per character pays for in full.
    const patterns = Array.from({ length: 16 }, (_, i) =>
      i % 2 === 0
        ? `${"a".repeat(i)}${"%a".repeat(15)}%`
        : `${"a".repeat(990 - i)}${"*a".repeat(8)}${"%a".repeat(7)}%`,
    );
    const command = `LIST "" (${patterns.map(quote).join(" ")}) RETURN (STATUS (MESSAGES UNSEEN))`;
    const clients = await Promise.all(
      [1, 2, 3, 4].map(() => ImapClient.login(child.imapPort, "heavy@example.com")),
    );
    try {
      const started = performance.now();
      let running = true;
      const lists = Promise.all(clients.map((c) => c.command(command))).finally(() => {
        running = false;
      });
      // /healthz, again and again while the LISTs run: the slowest answer is what a monitor sees.
      let slowest = 0;
      let asked = 0;
      while (running) {
        const t = performance.now();
        expect((await fetch(`http://127.0.0.1:${child.httpPort}/healthz`)).status).toBe(200);
        slowest = Math.max(slowest, performance.now() - t);
        asked++;
      }
      const results = await lists;
      const elapsed = performance.now() - started;
      for (const r of results) {
        expect(r.status).toBe("OK");
        // A LIST line and a STATUS line per mailbox.
        expect(r.untagged).toHaveLength(2 * (1000 - DEFAULTS));
      }
      expect(elapsed).toBeLessThan(5000);
      expect(asked).toBeGreaterThan(0);
      expect(slowest).toBeLessThan(250);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 60_000);
});
