/**
 * GET /api/v1/messages (issue 16): a search across every account, newest first, with the wait's
 * criteria plus before, flag, mailbox and limit/cursor pages; criteria are literal substrings.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { enc, expectProblem, importMessage, makeMessage } from "./helpers.ts";

let server: TestServer;
const ids = { a1: 0, a2: 0, a3: 0, b1: 0, b2: 0 };

interface Found {
  id: number;
  account: string;
  mailbox: string;
  subject: string;
  flags: string[];
}

async function search(query: string): Promise<{ items: Found[]; next: string | null }> {
  const res = await server.api(`/api/v1/messages?${query}`);
  if (res.status !== 200) throw new Error(`search ${query}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { items: Found[]; next: string | null };
}

const subjects = async (query: string) => (await search(query)).items.map((m) => m.subject);

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "ann@example.com" }, { address: "ben@other.example" }]);
  const put = async (
    key: keyof typeof ids,
    address: string,
    mailbox: string,
    subject: string,
    flags?: string,
    body?: string,
  ) => {
    ids[key] = (
      await importMessage(server, address, mailbox, makeMessage({ subject, body, to: address }), flags)
    ).id;
  };
  await put("a1", "ann@example.com", "INBOX", "Welcome Ann", undefined, "click the link");
  await put("a2", "ann@example.com", "INBOX", "Invoice 100% paid", "\\Seen");
  await put("a3", "ann@example.com", "Archive", "Old invoice", "\\Seen,project-x");
  await put("b1", "ben@other.example", "INBOX", "Welcome Ben", undefined, "click the link");
  await put("b2", "ben@other.example", "INBOX", "Invoice_2 due");
});

afterAll(async () => {
  await server.close();
});

describe("criteria", () => {
  test("without criteria, every account's messages, newest first, with account and mailbox", async () => {
    const { items } = await search("");
    expect(items.map((m) => m.id)).toEqual([ids.b2, ids.b1, ids.a3, ids.a2, ids.a1]);
    expect(items[2]).toEqual(expect.objectContaining({ account: "ann@example.com", mailbox: "Archive" }));
  });

  test("to, subject and text narrow it down across accounts", async () => {
    expect(await subjects("subject=welcome")).toEqual(["Welcome Ben", "Welcome Ann"]);
    expect(await subjects(`to=${enc("@other.example")}`)).toEqual(["Invoice_2 due", "Welcome Ben"]);
    expect(await subjects("text=CLICK+the")).toEqual(["Welcome Ben", "Welcome Ann"]);
    expect(await subjects("from=sender%40remote&subject=old")).toEqual(["Old invoice"]);
  });

  test("% and _ are literal characters, not LIKE wildcards", async () => {
    expect(await subjects(`subject=${enc("100%")}`)).toEqual(["Invoice 100% paid"]);
    expect(await subjects(`subject=${enc("e_2")}`)).toEqual(["Invoice_2 due"]);
    expect(await subjects(`subject=${enc("%")}`)).toEqual(["Invoice 100% paid"]);
    expect(await subjects(`subject=${enc("_")}`)).toEqual(["Invoice_2 due"]);
  });

  test("flag, !flag and mailbox", async () => {
    expect(await subjects(`flag=${enc("\\Seen")}`)).toEqual(["Old invoice", "Invoice 100% paid"]);
    expect(await subjects(`flag=${enc("!\\seen")}&subject=invoice`)).toEqual(["Invoice_2 due"]);
    expect(await subjects("flag=project-x")).toEqual(["Old invoice"]);
    expect(await subjects("mailbox=archive")).toEqual([]);
    expect(await subjects("mailbox=Archive")).toEqual(["Old invoice"]);
    expect(await subjects("mailbox=inbox&subject=invoice")).toEqual(["Invoice_2 due", "Invoice 100% paid"]);
  });

  test("since and before take ids, latest and RFC 3339 times", async () => {
    expect(await subjects(`since=${ids.a3}`)).toEqual(["Invoice_2 due", "Welcome Ben"]);
    expect(await subjects(`before=${ids.a2}`)).toEqual(["Welcome Ann"]);
    expect(await subjects("before=latest&since=latest")).toEqual([]);
    expect((await search("before=latest")).items.length).toBe(4);
    expect(await subjects(`since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    expect((await search("before=2999-01-01T00:00:00%2B02:00")).items.length).toBe(5);
  });
});

describe("pages", () => {
  test("limit and cursor walk the results without repeats or gaps", async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Found[]; next: string | null } = await search(
        `limit=2${cursor ? `&cursor=${enc(cursor)}` : ""}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((m) => m.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual([ids.b2, ids.b1, ids.a3, ids.a2, ids.a1]);
  });

  test("a cursor this server did not issue is a 400; bad parameters are 422s", async () => {
    await expectProblem(await server.api("/api/v1/messages?cursor=nonsense"), 400);
    for (const query of ["limit=0", "limit=501", "flag=!", "before=tomorrow", "unknown=1"])
      await expectProblem(await server.api(`/api/v1/messages?${query}`), 422);
  });
});
