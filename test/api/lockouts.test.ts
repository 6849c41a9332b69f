/**
 * /api/v1/lockouts over real HTTP: the failed-login limiter's keys after real IMAP guesses, and
 * DELETE lifting a lockout so the locked-out address logs in at once. The server runs with a
 * test-sized limiter (lockout after 3 failures from one address).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AuthFailures } from "../../src/security/auth-failures.ts";
import { ImapClient, quote } from "../harness/imap-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { enc, expectProblem } from "./helpers.ts";

let server: TestServer;
const limiter = new AuthFailures({ baseDelayMs: 1, maxDelayMs: 5, lockoutAfter: 3, lockoutMs: 600_000 });

interface LockoutBody {
  key: string;
  kind: "address" | "account";
  failures: number;
  inFlight: number;
  lockedUntil: number | null;
  expiresAt: number;
  lastAttemptAt: number;
  lastLogin: string;
}

beforeAll(async () => {
  server = await startTestServer({}, { authFailures: limiter });
  await createAccounts(server, [{ address: "alice@example.com", password: "right" }]);
});

afterAll(async () => {
  await server.close();
});

async function imapLogin(password: string): Promise<string> {
  const { client } = await ImapClient.connect(server.ports.imap!);
  try {
    return (await client.command(`LOGIN ${quote("alice@example.com")} ${quote(password)}`)).status;
  } finally {
    await client.close();
  }
}

async function list(query = ""): Promise<LockoutBody[]> {
  const res = await server.api(`/api/v1/lockouts${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: LockoutBody[] }).items;
}

describe("GET /api/v1/lockouts", () => {
  test("lists the locked-out address and the account it guessed, with counts and expiry in epoch ms", async () => {
    const before = Date.now();
    for (let i = 0; i < 3; i++) expect(await imapLogin(`wrong-${i}`)).toBe("NO");
    const items = await list();
    const address = items.find((i) => i.key === "127.0.0.1");
    expect(address).toMatchObject({
      kind: "address",
      failures: 3,
      inFlight: 0,
      lastLogin: "alice@example.com",
    });
    expect(address!.lockedUntil).toBeGreaterThanOrEqual(before + 600_000);
    expect(address!.expiresAt).toBe(address!.lockedUntil!);
    expect(address!.lastAttemptAt).toBeGreaterThanOrEqual(before);
    const account = items.find((i) => i.key === "account:alice@example.com");
    expect(account).toMatchObject({ kind: "account", failures: 3, lockedUntil: null });
    expect(account!.expiresAt).toBeGreaterThan(Date.now());
    // ?locked=true leaves out the account, which is not locked.
    expect((await list("?locked=true")).map((i) => i.key)).toEqual(["127.0.0.1"]);
  });

  test("an unknown query parameter is a 422; no token is a 401", async () => {
    await expectProblem(await server.api("/api/v1/lockouts?locked=yes"), 422);
    await expectProblem(await server.api("/api/v1/lockouts?page=2"), 422);
    await expectProblem(await server.api("/api/v1/lockouts", { headers: { authorization: "" } }), 401);
  });
});

describe("DELETE /api/v1/lockouts/{key}", () => {
  test("lifts the lockout: 204, the key is gone, and the address logs in at once", async () => {
    limiter.recordFailure(["127.0.0.1", "127.0.0.1", "127.0.0.1"], "alice@example.com");
    expect(await imapLogin("right")).toBe("NO");
    const res = await server.api(`/api/v1/lockouts/${enc("127.0.0.1")}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect((await list()).map((i) => i.key)).not.toContain("127.0.0.1");
    expect(await imapLogin("right")).toBe("OK");
  });

  test("an IPv6 /64 key is one percent-encoded segment", async () => {
    limiter.recordFailure("2001:db8:1:2::/64", "bob");
    expect((await list()).map((i) => i.key)).toContain("2001:db8:1:2::/64");
    const res = await server.api(`/api/v1/lockouts/${enc("2001:db8:1:2::/64")}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect((await list()).map((i) => i.key)).not.toContain("2001:db8:1:2::/64");
  });

  test("a key the limiter does not hold is a 404 problem", async () => {
    const body = await expectProblem(
      await server.api(`/api/v1/lockouts/${enc("account:nobody@example.com")}`, { method: "DELETE" }),
      404,
    );
    expect(body.detail).toContain("account:nobody@example.com");
  });
});
