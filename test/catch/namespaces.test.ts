/**
 * Throwaway namespaces (issue 16) on a server in normal mode: POST /api/v1/namespaces makes a
 * domain that takes mail for any address (swaks and smtplib over real sockets), whose addresses log
 * in to IMAP and POP3 with any password (imaplib, poplib) but never to SMTP AUTH; two namespaces do
 * not see each other's mail; DELETE and expiry remove the domain with all its mail, after which its
 * addresses are no longer local.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountFind, dkimDomainsWithoutKeys, domainFind, namespaceCreate } from "../../src/store/mod.ts";
import { expectProblem } from "../api/helpers.ts";
import { eventually } from "../harness/eventually.ts";
import { run } from "../harness/run.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient, sendMail } from "../harness/smtp-client.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "owner@example.com", password: "owner-pw" }]);
});

afterAll(async () => {
  await server.close();
});

interface Namespace {
  domain: string;
  createdAt: number;
  expiresAt: number;
}

async function createNamespace(ttl?: string): Promise<Namespace> {
  const res = await server.api("/api/v1/namespaces", {
    method: "POST",
    json: ttl === undefined ? {} : { ttl },
  });
  expect(res.status).toBe(201);
  const ns = (await res.json()) as Namespace;
  expect(res.headers.get("location")).toBe(`/api/v1/namespaces/${ns.domain}`);
  return ns;
}

const message = (to: string, subject: string) =>
  `From: ci@runner.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

async function rcpt(to: string): Promise<number> {
  const { client } = await SmtpClient.connect(server.ports.smtp!);
  try {
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<ci@runner.test>");
    return (await client.command(`RCPT TO:<${to}>`)).code;
  } finally {
    await client.close();
  }
}

describe("POST and GET /api/v1/namespaces", () => {
  test("a namespace is ns-<random>.<host name> with its expiry in epoch ms, and is listed", async () => {
    const before = Date.now();
    const ns = await createNamespace("30m");
    expect(ns.domain).toMatch(/^ns-[a-z2-7]{10}\.mx\.test\.example$/);
    expect(ns.expiresAt).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(ns.expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
    const other = await createNamespace();
    expect(other.domain).not.toBe(ns.domain);
    expect(other.expiresAt - other.createdAt).toBe(3_600_000);
    const list = (await (await server.api("/api/v1/namespaces")).json()) as { items: Namespace[] };
    expect(list.items.map((n) => n.domain)).toEqual(expect.arrayContaining([ns.domain, other.domain]));
    // A namespace is no domain to publish: it never gets DKIM keys.
    expect(await dkimDomainsWithoutKeys(server.store.read)).not.toContain(ns.domain);
  });

  test("POST without a body takes the default lifetime; a body that is not JSON is a 400", async () => {
    const res = await server.api("/api/v1/namespaces", { method: "POST" });
    expect(res.status).toBe(201);
    const ns = (await res.json()) as Namespace;
    expect(ns.expiresAt - ns.createdAt).toBe(3_600_000);
    await expectProblem(await server.api("/api/v1/namespaces", { method: "POST", body: "{ttl" }), 400);
  });

  test("a ttl that is no duration, too short or too long, or an unknown field is a 422", async () => {
    for (const body of [{ ttl: "banana" }, { ttl: "0s" }, { ttl: "8d" }, { ttl: "30m", extra: 1 }]) {
      await expectProblem(await server.api("/api/v1/namespaces", { method: "POST", json: body }), 422);
    }
  });
});

describe("mail to a namespace", () => {
  test("swaks and smtplib deliver to any address of the namespace; the primary domain still refuses unknown users", async () => {
    const ns = await createNamespace("10m");
    const swaks = await run("swaks", [
      ...["--server", "127.0.0.1", "--port", String(server.ports.smtp)],
      ...["--from", "ci@runner.test", "--to", `alice@${ns.domain}`, "--header", "Subject: via swaks"],
    ]);
    expect(swaks.code).toBe(0);
    const smtplib = await run("python3", [
      "-c",
      `
import smtplib
s = smtplib.SMTP("127.0.0.1", ${server.ports.smtp})
print(s.sendmail("ci@runner.test", ["Bob@${ns.domain.toUpperCase()}"], b"Subject: via smtplib\\r\\n\\r\\nhi\\r\\n"))
s.quit()
`,
    ]);
    expect(smtplib.stderr).toBe("");
    expect(smtplib.stdout.trim()).toBe("{}");
    expect((await mailboxContents(server, `alice@${ns.domain}`)).map((m) => m.raw.toString())).toEqual([
      expect.stringContaining("Subject: via swaks"),
    ]);
    expect((await mailboxContents(server, `bob@${ns.domain}`)).length).toBe(1);
    expect(await rcpt("stranger@example.com")).toBe(550);
  });

  test("IMAP and POP3 take any password for a namespace address; SMTP AUTH does not (no relaying through it)", async () => {
    const ns = await createNamespace("10m");
    const address = `reader@${ns.domain}`;
    expect(
      (await sendMail(server.ports.smtp!, "ci@runner.test", [address], message(address, "hello"))).code,
    ).toBe(250);
    const script = `
import imaplib, poplib, smtplib
c = imaplib.IMAP4("127.0.0.1", ${server.ports.imap})
c.login("${address}", "whatever")
assert c.select("INBOX")[1][0] == b"1"
c.logout()
p = poplib.POP3("127.0.0.1", ${server.ports.pop3})
p.user("${address}"); p.pass_("anything")
assert p.stat()[0] == 1
p.quit()
try:
    imaplib.IMAP4("127.0.0.1", ${server.ports.imap}).login("nobody@${ns.domain}", "x")
    print("an address without an account logged in")
except imaplib.IMAP4.error:
    pass
s = smtplib.SMTP("127.0.0.1", ${server.ports.submission})
try:
    s.login("${address}", "whatever")
    print("smtp auth accepted")
except smtplib.SMTPAuthenticationError as e:
    print("smtp", e.smtp_code)
`;
    const r = await run("python3", ["-c", script]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("smtp 535");
  }, 20_000);

  test("two namespaces never see each other's mail", async () => {
    const [a, b] = [await createNamespace("10m"), await createNamespace("10m")];
    await sendMail(
      server.ports.smtp!,
      "ci@runner.test",
      [`same@${a.domain}`],
      message(`same@${a.domain}`, "for a"),
    );
    await sendMail(
      server.ports.smtp!,
      "ci@runner.test",
      [`same@${b.domain}`],
      message(`same@${b.domain}`, "for b"),
    );
    const search = async (domain: string) =>
      (
        (await (await server.api(`/api/v1/messages?to=${encodeURIComponent(`@${domain}`)}`)).json()) as {
          items: Array<{ subject: string; account: string }>;
        }
      ).items;
    expect((await search(a.domain)).map((m) => m.subject)).toEqual(["for a"]);
    expect((await search(b.domain)).map((m) => m.subject)).toEqual(["for b"]);
  });
});

describe("the end of a namespace", () => {
  test("DELETE removes the namespace with its accounts and mail; its addresses are then remote", async () => {
    const ns = await createNamespace("10m");
    const address = `gone@${ns.domain}`;
    await sendMail(server.ports.smtp!, "ci@runner.test", [address], message(address, "soon gone"));
    const id = (
      (await (await server.api(`/api/v1/messages/wait?to=${address}&timeout=5s`)).json()) as { id: number }
    ).id;
    const res = await server.api(`/api/v1/namespaces/${ns.domain}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await accountFind(server.store.read, address)).toBeUndefined();
    expect(await domainFind(server.store.read, ns.domain)).toBeUndefined();
    await expectProblem(await server.api(`/api/v1/messages/${id}`), 404);
    // No longer a local domain: from an unauthenticated client that is relaying, refused.
    expect(await rcpt(address)).toBe(554);
    await expectProblem(await server.api(`/api/v1/namespaces/${ns.domain}`, { method: "DELETE" }), 404);
  });

  test("DELETE /namespaces/{domain} of a regular domain is a 404 and leaves it alone", async () => {
    await expectProblem(await server.api("/api/v1/namespaces/example.com", { method: "DELETE" }), 404);
    expect(await domainFind(server.store.read, "example.com")).toBeDefined();
  });

  test("a namespace with ttl 1s is deleted with its mail within 30 s of expiring", async () => {
    const ns = await createNamespace("1s");
    const address = `brief@${ns.domain}`;
    await sendMail(server.ports.smtp!, "ci@runner.test", [address], message(address, "brief"));
    await eventually(
      async () => (await domainFind(server.store.read, ns.domain)) === undefined && Date.now(),
      `namespace ${ns.domain} to be deleted`,
      { timeoutMs: 30_000, intervalMs: 100 },
    ).then((deletedAt) => expect(deletedAt - ns.expiresAt).toBeLessThan(30_000));
    expect(await accountFind(server.store.read, address)).toBeUndefined();
  });

  test("an expired namespace the reaper has not swept yet takes no new addresses", async () => {
    // Created straight in the store with an expiry in the past: the API allows no such ttl.
    const name = `ns-expiredxxxx.${server.config.hostname}`;
    await server.store.write((w) => namespaceCreate(w, name, Date.now() - 1));
    expect(await rcpt(`new@${name}`)).toBe(550);
  });
});
