/** Mailbox export and import as mboxrd files, over real HTTP, plus the format functions themselves. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  asctime,
  mboxEntryChunks,
  mboxrdQuote,
  mboxSplit,
  parseAsctime,
} from "../../src/transfer/mbox-format.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { enc, expectProblem, importMessage, makeMessage } from "./helpers.ts";

let server: TestServer;
const USER = "max@example.com";

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [
    { address: USER },
    { address: "quota@example.com", quota: 1000 },
    { address: "quota-batches@example.com", quota: 250 * 1024 },
  ]);
});

afterAll(async () => {
  await server.close();
});

const mboxUrl = (mailbox: string, address = USER) =>
  `/api/v1/accounts/${enc(address)}/mailboxes/${enc(mailbox)}/mbox`;
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const concat = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat(chunks));

async function createMailbox(name: string, address = USER): Promise<void> {
  const res = await server.api(`/api/v1/accounts/${enc(address)}/mailboxes`, {
    method: "POST",
    json: { name },
  });
  expect(res.status).toBe(201);
}

async function exportMbox(mailbox: string): Promise<Response> {
  const res = await server.api(mboxUrl(mailbox));
  expect(res.status).toBe(200);
  return res;
}

async function importMbox(mailbox: string, body: Uint8Array | string, address = USER): Promise<Response> {
  return server.api(mboxUrl(mailbox, address), {
    method: "POST",
    body,
    headers: { "content-type": "application/mbox" },
  });
}

/** Every message of a mailbox as {raw, internalDate}, oldest UID first. */
async function mailboxContents(mailbox: string): Promise<Array<{ raw: string; internalDate: string }>> {
  const page = (await (
    await server.api(`/api/v1/accounts/${USER}/mailboxes/${enc(mailbox)}/messages?limit=500`)
  ).json()) as { items: Array<{ id: number }> };
  const out = [];
  for (const { id } of page.items.reverse()) {
    const raw = text(
      new Uint8Array(await (await server.api(`/api/v1/accounts/${USER}/messages/${id}/raw`)).arrayBuffer()),
    );
    const { internalDate } = (await (await server.api(`/api/v1/accounts/${USER}/messages/${id}`)).json()) as {
      internalDate: string;
    };
    out.push({ raw, internalDate });
  }
  return out;
}

const FROM_LINE =
  /^From (\S+) (Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}$/;
const QUOTING_BODY = [
  "From here, a line mboxrd must quote",
  ">From there, quoted once already",
  ">>From deeper",
  "From",
  " From indented",
  "Fromage",
].join("\r\n");

describe("GET .../mailboxes/{mailbox}/mbox", () => {
  beforeAll(async () => {
    await createMailbox("Export/2024");
    await importMessage(server, USER, "Export/2024", makeMessage({ subject: "quoting", body: QUOTING_BODY }));
    const reply = await sendMail(
      server.ports.smtp!,
      "bounce-1@remote.example",
      [USER],
      makeMessage({ subject: "delivered" }),
    );
    expect(reply.code).toBe(250);
    const [delivered] = (
      (await (await server.api(`/api/v1/accounts/${USER}/mailboxes/INBOX/messages?q=delivered`)).json()) as {
        items: Array<{ id: number }>;
      }
    ).items;
    const moved = await server.api(`/api/v1/accounts/${USER}/messages/${delivered!.id}`, {
      method: "PATCH",
      json: { mailbox: "Export/2024" },
    });
    expect(moved.status).toBe(200);
  });

  test("GET .../mbox returns application/mbox as an attachment named after the mailbox", async () => {
    const res = await exportMbox("Export/2024");
    expect(res.headers.get("content-type")).toBe("application/mbox");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="Export-2024.mbox"; filename*=UTF-8''Export-2024.mbox`,
    );
  });

  test("GET .../mbox gives a non-ASCII mailbox name as an RFC 8187 file name", async () => {
    await createMailbox("Reçus");
    const res = await exportMbox("Reçus");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="Re_us.mbox"; filename*=UTF-8''Re%C3%A7us.mbox`,
    );
    expect(await res.text()).toBe("");
  });

  test("GET .../mbox adds one > to every line matching ^>*From  and leaves other lines alone", async () => {
    const body = await (await exportMbox("Export/2024")).text();
    expect(body).toContain("\r\n>From here, a line mboxrd must quote\r\n");
    expect(body).toContain("\r\n>>From there, quoted once already\r\n");
    expect(body).toContain("\r\n>>>From deeper\r\n");
    expect(body).toContain("\r\nFrom\r\n From indented\r\n");
    expect(body).toContain("\r\nFromage\r\n");
  });

  test("GET .../mbox starts each message with a From_ line: Return-Path sender or MAILER-DAEMON, asctime date", async () => {
    const body = await (await exportMbox("Export/2024")).text();
    const fromLines = body.split("\n").filter((line) => line.startsWith("From "));
    expect(fromLines).toHaveLength(2);
    for (const line of fromLines) expect(line).toMatch(FROM_LINE);
    expect(FROM_LINE.exec(fromLines[0]!)?.[1]).toBe("MAILER-DAEMON");
    expect(FROM_LINE.exec(fromLines[1]!)?.[1]).toBe("bounce-1@remote.example");
    expect(body).toStartWith("From MAILER-DAEMON ");
    expect(body).toEndWith("\r\n\n");
  });

  test("GET .../mbox returns 404 for an unknown mailbox or account", async () => {
    await expectProblem(await server.api(mboxUrl("Nope")), 404);
    await expectProblem(await server.api(mboxUrl("INBOX", "nobody@example.com")), 404);
  });

  test("GET .../mbox returns 401 without a token", async () => {
    await expectProblem(await server.api(mboxUrl("INBOX"), { headers: { authorization: "" } }), 401);
  });
});

describe("export -> import round trip", () => {
  const messages: Array<string | Uint8Array> = [
    makeMessage({ subject: "plain" }),
    makeMessage({ subject: "quoting", body: QUOTING_BODY }),
    makeMessage({ subject: "ends with blank lines", body: "text\r\n\r\n" }),
    makeMessage({ subject: "with a Return-Path", extra: ["Return-Path: <list-bounces@remote.example>"] }),
    concat([
      bytes("Subject: 8-bit\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"),
      Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i),
      bytes("\r\nFrom the end\r\n"),
    ]),
  ];

  beforeAll(async () => {
    await createMailbox("Source");
    await createMailbox("Copy");
    for (const [i, m] of messages.entries())
      await importMessage(server, USER, "Source", m, i % 2 === 0 ? "\\Seen" : undefined);
    const reply = await sendMail(
      server.ports.smtp!,
      "smtp@remote.example",
      [USER],
      makeMessage({ subject: "smtp", body: "From over SMTP\r\n>From quoted" }),
    );
    expect(reply.code).toBe(250);
    const [delivered] = (
      (await (await server.api(`/api/v1/accounts/${USER}/mailboxes/INBOX/messages?q=smtp`)).json()) as {
        items: Array<{ id: number }>;
      }
    ).items;
    await server.api(`/api/v1/accounts/${USER}/messages/${delivered!.id}`, {
      method: "PATCH",
      json: { mailbox: "Source" },
    });
  });

  test("exporting a mailbox and importing the file into another gives back every message byte-exact, in order", async () => {
    const file = new Uint8Array(await (await exportMbox("Source")).arrayBuffer());
    const res = await importMbox("Copy", file);
    expect(res.status).toBe(201);
    const result = (await res.json()) as { imported: number; ids: number[] };
    expect(result.imported).toBe(messages.length + 1);
    expect(result.ids).toHaveLength(messages.length + 1);
    const source = await mailboxContents("Source");
    const copy = await mailboxContents("Copy");
    expect(copy.map((m) => m.raw)).toEqual(source.map((m) => m.raw));
    expect(source.map((m) => m.raw).slice(0, messages.length)).toEqual(
      messages.map((m) => (typeof m === "string" ? m : text(m))),
    );
    // The From_ line carries the internal date to the second.
    expect(copy.map((m) => Math.floor(Date.parse(m.internalDate) / 1000))).toEqual(
      source.map((m) => Math.floor(Date.parse(m.internalDate) / 1000)),
    );
  });

  test("exporting the imported copy gives the same file again", async () => {
    const a = new Uint8Array(await (await exportMbox("Source")).arrayBuffer());
    const b = new Uint8Array(await (await exportMbox("Copy")).arrayBuffer());
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
  });
});

describe("POST .../mailboxes/{mailbox}/mbox", () => {
  test("POST .../mbox converts bare-LF and bare-CR messages to CRLF and stores CRLF messages unchanged", async () => {
    await createMailbox("LF");
    const file =
      "From a@b.example Mon Jan  1 00:00:00 2024\nSubject: lf\n\nline one\nline two\n\n" +
      "From MAILER-DAEMON Tue Jan  2 00:00:00 2024\nSubject: crlf\r\n\r\nbody\r\n\n" +
      "From c@d.example Wed Jan  3 00:00:00 2024\nX: y\rFrom: ceo@bank.example\r\n\r\nbody\r\n\n";
    const res = await importMbox("LF", file);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { imported: number }).imported).toBe(3);
    const stored = await mailboxContents("LF");
    expect(stored.map((m) => m.raw)).toEqual([
      "Subject: lf\r\n\r\nline one\r\nline two\r\n",
      "Subject: crlf\r\n\r\nbody\r\n",
      "X: y\r\nFrom: ceo@bank.example\r\n\r\nbody\r\n",
    ]);
  });

  test("POST .../mbox undoes mboxrd quoting and takes internal dates from the From_ lines", async () => {
    await createMailbox("Quoted");
    const file =
      "From x@y.example Wed Jan  3 09:05:07 2024\r\nSubject: q\r\n\r\n>From a\r\n>>From b\r\n>Fromage\r\n\r\n";
    expect((await importMbox("Quoted", file)).status).toBe(201);
    const [stored] = await mailboxContents("Quoted");
    expect(stored!.raw).toBe("Subject: q\r\n\r\nFrom a\r\n>From b\r\n>Fromage\r\n");
    expect(stored!.internalDate).toBe("2024-01-03T09:05:07.000Z");
  });

  test("POST .../mbox with an empty body imports nothing", async () => {
    const res = await importMbox("INBOX", "");
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ imported: 0, ids: [] });
  });

  test("POST .../mbox returns 400 for a file that does not start with a From line", async () => {
    const body = await expectProblem(await importMbox("INBOX", makeMessage({ subject: "not an mbox" })), 400);
    expect(body.detail).toContain("From");
  });

  test("POST .../mbox returns 404 for an unknown mailbox", async () => {
    await expectProblem(
      await importMbox("Nope", "From x Mon Jan  1 00:00:00 2024\nSubject: x\n\nx\n\n"),
      404,
    );
  });

  test("POST .../mbox returns 507 over quota and imports none of the messages", async () => {
    const one = `From x Mon Jan  1 00:00:00 2024\n${makeMessage({ subject: "q", body: "z".repeat(400) })}\n`;
    const res = await importMbox("INBOX", one + one + one, "quota@example.com");
    await expectProblem(res, 507);
    const list = (await (
      await server.api("/api/v1/accounts/quota@example.com/mailboxes/INBOX/messages")
    ).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  test("POST .../mbox stored in batches still imports none when the quota runs out several batches in", async () => {
    // 500 messages of ~1 KB: the quota (250 KiB) runs out after a few batches of 100 have committed.
    const one = `From x Mon Jan  1 00:00:00 2024\n${makeMessage({ subject: "b", body: "z".repeat(900) })}\n`;
    const res = await importMbox("INBOX", one.repeat(500), "quota-batches@example.com");
    await expectProblem(res, 507);
    const list = (await (
      await server.api("/api/v1/accounts/quota-batches@example.com/mailboxes/INBOX/messages")
    ).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
    const account = (await (await server.api("/api/v1/accounts/quota-batches@example.com")).json()) as {
      usedBytes?: number;
    };
    if (account.usedBytes !== undefined) expect(account.usedBytes).toBe(0);
  });

  test("POST .../mbox returns 401 without a token", async () => {
    await expectProblem(
      await server.api(mboxUrl("INBOX"), { method: "POST", body: "", headers: { authorization: "" } }),
      401,
    );
  });
});

describe("large mailboxes", () => {
  test("GET .../mbox streams a mailbox of several batches completely and in UID order", async () => {
    await createMailbox("Big");
    const count = 250;
    const file = Array.from(
      { length: count },
      (_, i) => `From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n${makeMessage({ subject: `big ${i}` })}\n`,
    ).join("");
    const res = await importMbox("Big", file);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { imported: number }).imported).toBe(count);
    const response = await exportMbox("Big");
    // Streamed as it is read from the store, so the length is not known up front.
    expect(response.headers.get("content-length")).toBeNull();
    const exported = await response.text();
    const subjects = [...exported.matchAll(/^Subject: (big \d+)\r$/gm)].map((m) => m[1]);
    expect(subjects).toEqual(Array.from({ length: count }, (_, i) => `big ${i}`));
    expect(exported).toBe(file);
  });

  test("a client that stops reading an export early leaves the server working", async () => {
    const res = await exportMbox("Big");
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(text(first.value!)).toStartWith("From MAILER-DAEMON");
    await reader.cancel();
    expect((await server.api("/healthz")).status).toBe(200);
    expect((await exportMbox("Big")).status).toBe(200);
  });
});

describe("mbox size limits", () => {
  let small: TestServer;

  beforeAll(async () => {
    small = await startTestServer({ maxMessageSize: 2048 });
    await createAccounts(small, [{ address: "tiny@example.com" }]);
  });

  afterAll(async () => {
    await small.close();
  });

  test("POST .../mbox returns 413 when one message is over the maximum message size", async () => {
    const file = `From x Mon Jan  1 00:00:00 2024\n${makeMessage({ subject: "ok" })}\nFrom x Mon Jan  1 00:00:00 2024\n${makeMessage({ subject: "big", body: "x".repeat(3000) })}\n`;
    const body = await expectProblem(
      await small.api(mboxUrl("INBOX", "tiny@example.com"), { method: "POST", body: file }),
      413,
    );
    expect(body.detail).toContain("message 2");
  });

  test("POST .../mbox returns 413 for a file over four times the maximum message size", async () => {
    const one = `From x Mon Jan  1 00:00:00 2024\n${makeMessage({ subject: "part", body: "y".repeat(1500) })}\n`;
    const res = await small.api(mboxUrl("INBOX", "tiny@example.com"), {
      method: "POST",
      body: one.repeat(6),
    });
    expect(res.status).toBe(413);
  });
});

describe("mboxrd format functions", () => {
  test("mboxrdQuote quotes exactly the lines matching ^>*From ", () => {
    const raw = bytes("From a\n>From b\r\nxFrom c\nFrom\n>>From d");
    expect(text(concat(mboxrdQuote(raw)))).toBe(">From a\n>>From b\r\nxFrom c\nFrom\n>>>From d");
  });

  test("mboxSplit inverts mboxEntryChunks for CRLF messages, whatever their content", () => {
    const raws = [
      "A: 1\r\n\r\nFrom x\r\n",
      "A: 2\r\n\r\n\r\n\r\n",
      "A: 3\r\n\r\n>>From y\r\n",
      "A: 4\r\n\r\n\r\n",
    ].map(bytes);
    const file = concat(
      raws.flatMap((raw, i) => mboxEntryChunks({ raw, internalDate: Date.UTC(2024, 0, i + 1, 12, 30, 15) })),
    );
    const split = mboxSplit(file);
    expect(split.map((m) => text(m.raw))).toEqual(raws.map(text));
    expect(split.map((m) => m.internalDate)).toEqual(
      [1, 2, 3, 4].map((d) => Date.UTC(2024, 0, d, 12, 30, 15)),
    );
  });

  test("mboxEntryChunks ends an unterminated message with a line break so the next From_ line starts a line", () => {
    const file = concat([
      ...mboxEntryChunks({ raw: bytes("A: 1\r\n\r\nno newline"), internalDate: 0 }),
      ...mboxEntryChunks({ raw: bytes("A: 2\r\n\r\nx\r\n"), internalDate: 0 }),
    ]);
    expect(mboxSplit(file).map((m) => text(m.raw))).toEqual([
      "A: 1\r\n\r\nno newline\r\n",
      "A: 2\r\n\r\nx\r\n",
    ]);
  });

  test("asctime pads the day with a space and parseAsctime reads it back", () => {
    const ms = Date.UTC(2024, 0, 3, 9, 5, 7);
    expect(asctime(ms)).toBe("Wed Jan  3 09:05:07 2024");
    expect(parseAsctime(`From x ${asctime(ms)}`)).toBe(ms);
    expect(parseAsctime("From x Wed Jan  3 09:05 UTC 2024")).toBe(Date.UTC(2024, 0, 3, 9, 5, 0));
    expect(parseAsctime("From x yesterday")).toBeNull();
  });
});
