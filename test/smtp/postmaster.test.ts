/**
 * postmaster (issue 9, finding 11), over real sockets. RFC 5321 §4.5.1: every SMTP server must
 * accept mail to postmaster at each of its domains, and to the bare "postmaster" (no domain,
 * §4.1.1.3, case-insensitive). Where it goes: an account or alias of that exact address if there is
 * one; else MAILROOM_POSTMASTER; else the domain's first account; else the server's first account.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountUpdate, aliasCreate, domainCreate } from "../../src/store/mod.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient, sendMail } from "../harness/smtp-client.ts";

const note = (subject: string) =>
  `From: reporter@remote.example\r\nTo: postmaster\r\nSubject: ${subject}\r\n\r\nabuse report\r\n`;

async function subjects(server: TestServer, address: string): Promise<string[]> {
  return (await mailboxContents(server, address)).map((m) => /Subject: (.*)\r\n/.exec(m.raw.toString())![1]!);
}

async function rcpt(server: TestServer, address: string) {
  const { client } = await SmtpClient.connect(server.ports.smtp!);
  await client.command("EHLO client.test");
  await client.command("MAIL FROM:<reporter@remote.example>");
  const r = await client.command(`RCPT TO:<${address}>`);
  await client.close();
  return r;
}

describe("postmaster without MAILROOM_POSTMASTER", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    await createAccounts(server, [
      { address: "first@example.com" },
      { address: "second@example.com" },
      { address: "gone@other.example" },
      { address: "owner@other.example" },
      { address: "target@aliased.example" },
    ]);
    await server.store.write((w) => accountUpdate(w, "gone@other.example", { disabled: true }));
    await server.store.write(async (w) => {
      await domainCreate(w, "empty.example");
      return aliasCreate(w, "postmaster@aliased.example", ["target@aliased.example"]);
    });
  });

  afterAll(async () => {
    await server.close();
  });

  test("RCPT TO:<postmaster@domain> is accepted without such an account and goes to the domain's first account", async () => {
    const r = await sendMail(
      server.ports.smtp!,
      "reporter@remote.example",
      ["postmaster@example.com"],
      note("pm1"),
    );
    expect(r.code).toBe(250);
    expect(await subjects(server, "first@example.com")).toContain("pm1");
    expect(await subjects(server, "second@example.com")).not.toContain("pm1");
  });

  test.each(["postmaster", "Postmaster", "POSTMASTER"])(
    "bare RCPT TO:<%s> is accepted and goes to the primary domain's postmaster",
    async (address) => {
      const r = await sendMail(
        server.ports.smtp!,
        "reporter@remote.example",
        [address],
        note(`bare ${address}`),
      );
      expect(r.code).toBe(250);
      expect(await subjects(server, "first@example.com")).toContain(`bare ${address}`);
    },
  );

  test("PostMaster@Example.COM and a +tag form are postmaster too", async () => {
    expect((await rcpt(server, "PostMaster@Example.COM")).code).toBe(250);
    expect((await rcpt(server, "postmaster+abuse@example.com")).code).toBe(250);
  });

  test("another domain's postmaster goes to that domain's first enabled account", async () => {
    const r = await sendMail(
      server.ports.smtp!,
      "reporter@remote.example",
      ["postmaster@other.example"],
      note("pm2"),
    );
    expect(r.code).toBe(250);
    expect(await subjects(server, "owner@other.example")).toContain("pm2");
    expect(await subjects(server, "gone@other.example")).toEqual([]);
  });

  test("a domain without accounts: its postmaster goes to the server's first account", async () => {
    const r = await sendMail(
      server.ports.smtp!,
      "reporter@remote.example",
      ["postmaster@empty.example"],
      note("pm3"),
    );
    expect(r.code).toBe(250);
    expect(await subjects(server, "first@example.com")).toContain("pm3");
  });

  test("a postmaster alias of the domain wins over every default", async () => {
    const r = await sendMail(
      server.ports.smtp!,
      "reporter@remote.example",
      ["postmaster@aliased.example"],
      note("pm4"),
    );
    expect(r.code).toBe(250);
    expect(await subjects(server, "target@aliased.example")).toContain("pm4");
  });

  test("other unknown local users are still refused with 550 5.1.1, and unknown domains are relaying", async () => {
    expect((await rcpt(server, "webmaster@example.com")).code).toBe(550);
    expect((await rcpt(server, "postmaster@remote.example")).code).toBe(554);
  });
});

describe("postmaster with MAILROOM_POSTMASTER", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ postmaster: "Boss@Example.com" });
    await createAccounts(server, [
      { address: "first@example.com" },
      { address: "boss@example.com" },
      { address: "own@self.example" },
      { address: "postmaster@self.example" },
    ]);
  });

  afterAll(async () => {
    await server.close();
  });

  test("postmaster mail of every domain without its own postmaster goes to MAILROOM_POSTMASTER", async () => {
    for (const to of ["postmaster", "postmaster@example.com"]) {
      const r = await sendMail(server.ports.smtp!, "reporter@remote.example", [to], note(`to ${to}`));
      expect(r.code).toBe(250);
    }
    expect(await subjects(server, "boss@example.com")).toEqual([
      "to postmaster",
      "to postmaster@example.com",
    ]);
    expect(await subjects(server, "first@example.com")).toEqual([]);
  });

  test("a domain's own postmaster account still gets its own mail", async () => {
    const r = await sendMail(
      server.ports.smtp!,
      "reporter@remote.example",
      ["postmaster@self.example"],
      note("self"),
    );
    expect(r.code).toBe(250);
    expect(await subjects(server, "postmaster@self.example")).toEqual(["self"]);
  });

  test("--postmaster / MAILROOM_POSTMASTER must be an address", async () => {
    const { loadConfig } = await import("../../src/config.ts");
    expect(() => loadConfig(new Map([["--postmaster", "not an address"]]), {})).toThrow(/--postmaster/);
    expect(loadConfig(new Map(), { MAILROOM_POSTMASTER: "pm@example.com" }).postmaster).toBe(
      "pm@example.com",
    );
    expect(loadConfig(new Map(), {}).postmaster).toBeUndefined();
  });
});
