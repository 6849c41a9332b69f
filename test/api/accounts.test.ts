/** /api/v1/accounts over real HTTP. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountAuthenticate } from "../../src/store/mod.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { expectProblem } from "./helpers.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await server.api("/api/v1/domains", { method: "POST", json: { name: "other.example" } });
});

afterAll(async () => {
  await server.close();
});

interface AccountBody {
  address: string;
  quota: number | null;
  usedBytes: number;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

const create = (json: unknown) => server.api("/api/v1/accounts", { method: "POST", json });

describe("POST /api/v1/accounts", () => {
  test("POST /api/v1/accounts returns 201 with the account and no password or hash", async () => {
    const res = await create({ address: "Alice@Example.com", password: "correct horse", quota: 1_000_000 });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe("/api/v1/accounts/alice%40example.com");
    const text = await res.text();
    expect(text).not.toContain("correct horse");
    expect(text).not.toContain("scrypt");
    const body = JSON.parse(text) as AccountBody;
    expect(Object.keys(body).sort()).toEqual([
      "address",
      "createdAt",
      "disabled",
      "quota",
      "quotaMessages",
      "updatedAt",
      "usedBytes",
    ]);
    expect(body).toMatchObject({
      address: "alice@example.com",
      quota: 1_000_000,
      quotaMessages: null,
      usedBytes: 0,
      disabled: false,
    });
  });

  test("POST /api/v1/accounts creates INBOX, Sent, Drafts, Trash, Junk and Archive", async () => {
    await create({ address: "boxes@example.com", password: "pw" });
    const res = await server.api("/api/v1/accounts/boxes@example.com/mailboxes");
    const body = (await res.json()) as { items: Array<{ name: string; specialUse: string | null }> };
    const byName = Object.fromEntries(body.items.map((m) => [m.name, m.specialUse]));
    expect(byName).toEqual({
      INBOX: null,
      Sent: "\\Sent",
      Drafts: "\\Drafts",
      Trash: "\\Trash",
      Junk: "\\Junk",
      Archive: "\\Archive",
    });
  });

  test("POST /api/v1/accounts without quota gives an unlimited (null) quota", async () => {
    const body = (await (
      await create({ address: "unlimited@example.com", password: "pw" })
    ).json()) as AccountBody;
    expect(body.quota).toBeNull();
  });

  test("POST /api/v1/accounts returns 409 for a duplicate address, whatever its case", async () => {
    await create({ address: "dup@example.com", password: "pw" });
    const body = await expectProblem(await create({ address: "DUP@example.com", password: "pw2" }), 409);
    expect(body.detail).toContain("dup@example.com");
  });

  test("POST /api/v1/accounts returns 422 for a domain that is not local", async () => {
    const body = await expectProblem(await create({ address: "x@elsewhere.example", password: "pw" }), 422);
    expect(body.detail).toContain("elsewhere.example");
  });

  test("POST /api/v1/accounts returns 422 for an invalid address", async () => {
    await expectProblem(await create({ address: "no-at-sign", password: "pw" }), 422);
  });

  test("POST /api/v1/accounts returns 422 listing every bad field", async () => {
    const res = await create({ address: "bad@example.com", quota: -5, admin: true });
    const body = await expectProblem(res, 422);
    const paths = body.errors?.map((e) => e.path) ?? [];
    expect(paths).toContain("password");
    expect(paths).toContain("quota");
    expect(body.detail).toContain("admin");
  });

  test("POST /api/v1/accounts returns 422 for an empty password", async () => {
    const body = await expectProblem(await create({ address: "empty@example.com", password: "" }), 422);
    expect(body.errors?.map((e) => e.path)).toEqual(["password"]);
  });

  test("POST /api/v1/accounts returns 400 for malformed JSON", async () => {
    const res = await server.api("/api/v1/accounts", {
      method: "POST",
      body: '{"address": "a@example.com",',
      headers: { "content-type": "application/json" },
    });
    await expectProblem(res, 400);
  });

  test("POST /api/v1/accounts returns 401 without a token", async () => {
    const res = await server.api("/api/v1/accounts", {
      method: "POST",
      json: { address: "x@example.com", password: "pw" },
      headers: { authorization: "" },
    });
    await expectProblem(res, 401);
    await expectProblem(await server.api("/api/v1/accounts/x@example.com"), 404);
  });
});

describe("GET /api/v1/accounts", () => {
  test("GET /api/v1/accounts lists accounts by address without hashes", async () => {
    const res = await server.api("/api/v1/accounts");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("scrypt");
    const body = JSON.parse(text) as { items: AccountBody[] };
    const addresses = body.items.map((a) => a.address);
    expect(addresses).toContain("alice@example.com");
    expect(addresses).toEqual([...addresses].sort());
  });

  test("GET /api/v1/accounts?domain= lists only that domain's accounts", async () => {
    await create({ address: "carol@other.example", password: "pw" });
    const body = (await (await server.api("/api/v1/accounts?domain=other.example")).json()) as {
      items: AccountBody[];
    };
    expect(body.items.map((a) => a.address)).toEqual(["carol@other.example"]);
    const none = (await (await server.api("/api/v1/accounts?domain=unknown.example")).json()) as {
      items: AccountBody[];
    };
    expect(none.items).toEqual([]);
  });

  test("GET /api/v1/accounts/{address} returns the account, case-insensitively", async () => {
    const res = await server.api("/api/v1/accounts/ALICE%40example.com");
    expect(res.status).toBe(200);
    expect(((await res.json()) as AccountBody).address).toBe("alice@example.com");
  });

  test("GET /api/v1/accounts/{address} returns 404 for an unknown account", async () => {
    const body = await expectProblem(await server.api("/api/v1/accounts/nobody@example.com"), 404);
    expect(body.detail).toContain("nobody@example.com");
  });
});

describe("PATCH /api/v1/accounts/{address}", () => {
  test("PATCH /api/v1/accounts/{address} changes quota and disabled", async () => {
    await createAccounts(server, [{ address: "patch@example.com" }]);
    const res = await server.api("/api/v1/accounts/patch@example.com", {
      method: "PATCH",
      json: { quota: 5000, disabled: true },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as AccountBody;
    expect(body).toMatchObject({ quota: 5000, disabled: true });
    const cleared = (await (
      await server.api("/api/v1/accounts/patch@example.com", { method: "PATCH", json: { quota: null } })
    ).json()) as AccountBody;
    expect(cleared).toMatchObject({ quota: null, disabled: true });
  });

  test("PATCH /api/v1/accounts/{address} sets and clears the message-count quota", async () => {
    await createAccounts(server, [{ address: "count@example.com" }]);
    const set = await server.api("/api/v1/accounts/count@example.com", {
      method: "PATCH",
      json: { quotaMessages: 10 },
    });
    expect(((await set.json()) as { quotaMessages: number | null }).quotaMessages).toBe(10);
    const bad = await server.api("/api/v1/accounts/count@example.com", {
      method: "PATCH",
      json: { quotaMessages: -1 },
    });
    expect(bad.status).toBe(422);
    const cleared = await server.api("/api/v1/accounts/count@example.com", {
      method: "PATCH",
      json: { quotaMessages: null },
    });
    expect(((await cleared.json()) as { quotaMessages: number | null }).quotaMessages).toBeNull();
  });

  test("PATCH /api/v1/accounts/{address} changes the password without echoing it", async () => {
    await createAccounts(server, [{ address: "pw@example.com", password: "old-password" }]);
    const res = await server.api("/api/v1/accounts/pw@example.com", {
      method: "PATCH",
      json: { password: "new-password" },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("new-password");
    expect(text).not.toContain("scrypt");
    const options = { primaryDomain: "example.com" };
    expect(
      await accountAuthenticate(server.store.read, "pw@example.com", "new-password", options),
    ).toBeDefined();
    expect(
      await accountAuthenticate(server.store.read, "pw@example.com", "old-password", options),
    ).toBeUndefined();
  });

  test("PATCH /api/v1/accounts/{address} returns 422 for an empty body object", async () => {
    await expectProblem(
      await server.api("/api/v1/accounts/alice@example.com", { method: "PATCH", json: {} }),
      422,
    );
  });

  test("PATCH /api/v1/accounts/{address} returns 422 for a wrong-typed field", async () => {
    const body = await expectProblem(
      await server.api("/api/v1/accounts/alice@example.com", { method: "PATCH", json: { disabled: "yes" } }),
      422,
    );
    expect(body.errors?.map((e) => e.path)).toEqual(["disabled"]);
  });

  test("PATCH /api/v1/accounts/{address} returns 404 for an unknown account", async () => {
    await expectProblem(
      await server.api("/api/v1/accounts/nobody@example.com", { method: "PATCH", json: { disabled: true } }),
      404,
    );
  });
});

describe("DELETE /api/v1/accounts/{address}", () => {
  test("DELETE /api/v1/accounts/{address} returns 204 and the account is gone", async () => {
    await createAccounts(server, [{ address: "bye@example.com" }]);
    expect((await server.api("/api/v1/accounts/bye@example.com", { method: "DELETE" })).status).toBe(204);
    await expectProblem(await server.api("/api/v1/accounts/bye@example.com"), 404);
    await expectProblem(await server.api("/api/v1/accounts/bye@example.com/mailboxes"), 404);
  });

  test("DELETE /api/v1/accounts/{address} returns 404 for an unknown account", async () => {
    await expectProblem(await server.api("/api/v1/accounts/nobody@example.com", { method: "DELETE" }), 404);
  });
});
