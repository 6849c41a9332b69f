/** /api/v1/accounts/{address}/mailboxes over real HTTP, including percent-encoded and Unicode names. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { enc, expectProblem, importMessage, makeMessage } from "./helpers.ts";

let server: TestServer;
const ACCOUNT = "mia@example.com";
const base = `/api/v1/accounts/${ACCOUNT}/mailboxes`;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: ACCOUNT }]);
});

afterAll(async () => {
  await server.close();
});

interface MailboxBody {
  name: string;
  specialUse: string | null;
  subscribed: boolean;
  uidValidity: number;
  uidNext: number;
  messages: number;
  unseen: number;
  size: number;
}

async function list(): Promise<MailboxBody[]> {
  const res = await server.api(base);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: MailboxBody[] }).items;
}

const create = (json: unknown) => server.api(base, { method: "POST", json });
const patch = (name: string, json: unknown) => server.api(`${base}/${enc(name)}`, { method: "PATCH", json });
const remove = (name: string) => server.api(`${base}/${enc(name)}`, { method: "DELETE" });

describe("GET /api/v1/accounts/{address}/mailboxes", () => {
  test("GET .../mailboxes lists every mailbox with exactly the documented fields", async () => {
    const items = await list();
    const inbox = items.find((m) => m.name === "INBOX")!;
    expect(Object.keys(inbox).sort()).toEqual([
      "messages",
      "name",
      "size",
      "specialUse",
      "subscribed",
      "uidNext",
      "uidValidity",
      "unseen",
    ]);
    expect(inbox).toMatchObject({
      specialUse: null,
      subscribed: true,
      uidNext: 1,
      messages: 0,
      unseen: 0,
      size: 0,
    });
  });

  test("GET .../mailboxes counts messages, unseen messages and bytes", async () => {
    await create({ name: "Counted" });
    const a = makeMessage({ subject: "one" });
    const b = makeMessage({ subject: "two" });
    await importMessage(server, ACCOUNT, "Counted", a);
    await importMessage(server, ACCOUNT, "Counted", b, "\\Seen");
    const counted = (await list()).find((m) => m.name === "Counted")!;
    expect(counted).toMatchObject({ messages: 2, unseen: 1, size: a.length + b.length, uidNext: 3 });
  });

  test("GET .../mailboxes returns 404 for an unknown account", async () => {
    const body = await expectProblem(await server.api("/api/v1/accounts/nobody@example.com/mailboxes"), 404);
    expect(body.detail).toContain("nobody@example.com");
  });

  test("GET .../mailboxes returns 401 without a token", async () => {
    await expectProblem(await server.api(base, { headers: { authorization: "" } }), 401);
  });
});

describe("POST /api/v1/accounts/{address}/mailboxes", () => {
  test("POST .../mailboxes creates a nested mailbox addressable as Archive%2F2024", async () => {
    const res = await create({ name: "Archive/2024" });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/api/v1/accounts/${enc(ACCOUNT)}/mailboxes/Archive%2F2024`);
    expect(((await res.json()) as MailboxBody).name).toBe("Archive/2024");
    const messages = await server.api(`${base}/Archive%2F2024/messages`);
    expect(messages.status).toBe(200);
    const updated = await server.api(`${base}/Archive%2F2024`, {
      method: "PATCH",
      json: { subscribed: false },
    });
    expect(updated.status).toBe(200);
    expect(((await updated.json()) as MailboxBody).subscribed).toBe(false);
  });

  test("POST .../mailboxes accepts a Unicode name reachable by its percent-encoded form", async () => {
    const res = await create({ name: "Reçus/été", specialUse: "\\Archive" });
    expect(res.status).toBe(201);
    expect(((await res.json()) as MailboxBody).specialUse).toBe("\\Archive");
    const path = `${base}/Re%C3%A7us%2F%C3%A9t%C3%A9`;
    expect(path).toBe(`${base}/${enc("Reçus/été")}`);
    const updated = await server.api(path, { method: "PATCH", json: { subscribed: false } });
    expect(updated.status).toBe(200);
    const found = (await list()).find((m) => m.name === "Reçus/été")!;
    expect(found).toMatchObject({ subscribed: false, specialUse: "\\Archive" });
  });

  test("POST .../mailboxes returns 409 for a duplicate name", async () => {
    await create({ name: "Twice" });
    await expectProblem(await create({ name: "Twice" }), 409);
  });

  test("POST .../mailboxes returns 409 for inbox in any case", async () => {
    await expectProblem(await create({ name: "inbox" }), 409);
  });

  test("POST .../mailboxes returns 422 for a name with an empty level or a wildcard", async () => {
    await expectProblem(await create({ name: "a//b" }), 422);
    await expectProblem(await create({ name: "stars*" }), 422);
  });

  test("POST .../mailboxes returns 422 listing an unknown special use and an unknown field", async () => {
    const body = await expectProblem(await create({ name: "X", specialUse: "\\Important", color: 1 }), 422);
    expect(body.errors?.map((e) => e.path)).toContain("specialUse");
    expect(body.detail).toContain("color");
  });

  test("POST .../mailboxes returns 400 for malformed JSON", async () => {
    await expectProblem(
      await server.api(base, { method: "POST", body: "{", headers: { "content-type": "application/json" } }),
      400,
    );
  });

  test("POST .../mailboxes returns 404 for an unknown account", async () => {
    await expectProblem(
      await server.api("/api/v1/accounts/nobody@example.com/mailboxes", {
        method: "POST",
        json: { name: "X" },
      }),
      404,
    );
  });
});

describe("PATCH /api/v1/accounts/{address}/mailboxes/{mailbox}", () => {
  test("PATCH .../mailboxes/{mailbox} renames a mailbox together with its children", async () => {
    await create({ name: "Projects" });
    await create({ name: "Projects/Alpha" });
    const res = await patch("Projects", { name: "Work" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as MailboxBody).name).toBe("Work");
    const names = (await list()).map((m) => m.name);
    expect(names).toContain("Work");
    expect(names).toContain("Work/Alpha");
    expect(names).not.toContain("Projects");
    expect(names).not.toContain("Projects/Alpha");
  });

  test("PATCH .../mailboxes/{mailbox} keeps messages and UIDVALIDITY across a rename", async () => {
    await create({ name: "Old" });
    await importMessage(server, ACCOUNT, "Old", makeMessage({ subject: "kept" }));
    const before = (await list()).find((m) => m.name === "Old")!;
    const after = (await (await patch("Old", { name: "New" })).json()) as MailboxBody;
    expect(after).toMatchObject({ name: "New", messages: 1, uidValidity: before.uidValidity });
  });

  test("PATCH .../mailboxes/{mailbox} renaming to the same name changes nothing", async () => {
    await create({ name: "Same" });
    const res = await patch("Same", { name: "Same", subscribed: false });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "Same", subscribed: false });
  });

  test("PATCH .../mailboxes/{mailbox} sets and clears the special use", async () => {
    await create({ name: "Special" });
    expect(await (await patch("Special", { specialUse: "\\Flagged" })).json()).toMatchObject({
      specialUse: "\\Flagged",
    });
    expect(await (await patch("Special", { specialUse: null })).json()).toMatchObject({ specialUse: null });
  });

  test("PATCH .../mailboxes/{mailbox} returns 409 when the new name exists", async () => {
    await create({ name: "Taken" });
    await create({ name: "Mover" });
    await expectProblem(await patch("Mover", { name: "Taken" }), 409);
  });

  test("PATCH .../mailboxes/{mailbox} returns 404 for an unknown mailbox", async () => {
    await expectProblem(await patch("Nope", { subscribed: true }), 404);
  });

  test("PATCH .../mailboxes/{mailbox} returns 422 for an empty body object", async () => {
    await expectProblem(await patch("INBOX", {}), 422);
  });
});

describe("DELETE /api/v1/accounts/{address}/mailboxes/{mailbox}", () => {
  test("DELETE .../mailboxes/INBOX returns 403", async () => {
    const body = await expectProblem(await remove("INBOX"), 403);
    expect(body.detail).toContain("INBOX");
  });

  test("DELETE .../mailboxes/{mailbox} returns 409 for a mailbox with children", async () => {
    await create({ name: "Parent" });
    await create({ name: "Parent/Child" });
    const body = await expectProblem(await remove("Parent"), 409);
    expect(body.detail).toContain("child");
  });

  test("DELETE .../mailboxes/{mailbox} returns 204, removes its messages and frees their bytes", async () => {
    await create({ name: "Doomed" });
    const raw = makeMessage({ subject: "doomed" });
    const { id } = await importMessage(server, ACCOUNT, "Doomed", raw);
    const used = ((await (await server.api(`/api/v1/accounts/${ACCOUNT}`)).json()) as { usedBytes: number })
      .usedBytes;
    expect((await remove("Doomed")).status).toBe(204);
    expect((await list()).map((m) => m.name)).not.toContain("Doomed");
    await expectProblem(await server.api(`/api/v1/accounts/${ACCOUNT}/messages/${id}`), 404);
    const after = ((await (await server.api(`/api/v1/accounts/${ACCOUNT}`)).json()) as { usedBytes: number })
      .usedBytes;
    expect(after).toBe(used - raw.length);
  });

  test("DELETE .../mailboxes/{mailbox} returns 404 for an unknown mailbox or account", async () => {
    await expectProblem(await remove("Never"), 404);
    await expectProblem(
      await server.api("/api/v1/accounts/nobody@example.com/mailboxes/INBOX", { method: "DELETE" }),
      404,
    );
  });
});
