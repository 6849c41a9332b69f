/**
 * QUOTA (RFC 9208) over real sockets: GETQUOTAROOT and GETQUOTA report the account's byte quota as
 * STORAGE (1024-octet units) and its message-count quota as MESSAGE, both as they are now; SETQUOTA
 * is refused (the administrator sets quotas); APPEND, COPY and MULTIAPPEND beyond either limit are NO
 * [OVERQUOTA]; STATUS DELETED-STORAGE tells what an EXPUNGE would free.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

async function setQuota(address: string, json: { quota?: number | null; quotaMessages?: number | null }) {
  const res = await server.api(`/api/v1/accounts/${address}`, { method: "PATCH", json });
  expect(res.status).toBe(200);
}

describe("QUOTA", () => {
  test("QUOTA, QUOTA=RES-STORAGE and QUOTA=RES-MESSAGE are advertised after login, QUOTASET is not", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    const caps = (await client.command("CAPABILITY")).untagged[0]!;
    expect(caps).toContain(" QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE");
    expect(caps).not.toContain("QUOTASET");
    await client.close();
  });

  test("GETQUOTAROOT names the account's root and its usage and limits, for a mailbox that need not exist", async () => {
    const address = await freshAccount(server, { messages: 3 });
    await setQuota(address, { quota: 10 * 1024 + 500, quotaMessages: 100 });
    const client = await ImapClient.login(port, address);
    for (const name of ["INBOX", "Not/Yet"]) {
      const r = await client.command(`GETQUOTAROOT ${name}`);
      expect(r.status).toBe("OK");
      expect(r.untagged).toEqual([`QUOTAROOT ${name} ""`, 'QUOTA "" (STORAGE 1 10 MESSAGE 3 100)']);
    }
    expect((await client.command('GETQUOTA ""')).untagged).toEqual(['QUOTA "" (STORAGE 1 10 MESSAGE 3 100)']);
    await client.close();
  });

  test("an account without limits has an empty resource list (RFC 9208 §4.2.1)", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command('GETQUOTA ""')).untagged).toEqual(['QUOTA "" ()']);
    await client.close();
  });

  test("usage follows APPEND and EXPUNGE; a quota set after login shows at once", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    await setQuota(address, { quotaMessages: 5 });
    await client.append("INBOX", "Subject: a\r\n\r\nx\r\n");
    await client.append("INBOX", "Subject: b\r\n\r\nx\r\n");
    expect((await client.command('GETQUOTA ""')).untagged).toEqual(['QUOTA "" (MESSAGE 2 5)']);
    await client.command("SELECT INBOX");
    await client.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await client.command("EXPUNGE");
    expect((await client.command('GETQUOTA ""')).untagged).toEqual(['QUOTA "" (MESSAGE 1 5)']);
    await client.close();
  });

  test("GETQUOTA of another root is NO; SETQUOTA is NO [NOPERM]; bad arguments are BAD", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command('GETQUOTA "other"')).status).toBe("NO");
    const set = await client.command('SETQUOTA "" (STORAGE 512)');
    expect(set.status).toBe("NO");
    expect(set.text).toStartWith("[NOPERM]");
    for (const line of [
      "GETQUOTA",
      "GETQUOTAROOT",
      'SETQUOTA "" STORAGE 5',
      'SETQUOTA "" (STORAGE x)',
      'GETQUOTA "" extra',
    ])
      expect((await client.command(line)).status).toBe("BAD");
    await client.close();
  });

  test("the message-count quota refuses APPEND, COPY and a MULTIAPPEND that would pass it", async () => {
    const address = await freshAccount(server, { messages: 2 });
    await setQuota(address, { quotaMessages: 3 });
    const client = await ImapClient.login(port, address);
    expect((await client.append("INBOX", "Subject: 3\r\n\r\nx\r\n")).status).toBe("OK");
    const over = await client.append("INBOX", "Subject: 4\r\n\r\nx\r\n");
    expect(over.status).toBe("NO");
    expect(over.text).toStartWith("[OVERQUOTA]");
    await client.command("SELECT INBOX");
    expect((await client.command("COPY 1 Archive")).text).toStartWith("[OVERQUOTA]");
    await setQuota(address, { quotaMessages: 4 });
    const m = "Subject: m\r\n\r\nx\r\n";
    const multi = await client.command(
      Buffer.from(`APPEND INBOX {${m.length}+}\r\n${m} {${m.length}+}\r\n${m}`),
    );
    expect(multi.text).toStartWith("[OVERQUOTA]");
    expect((await client.command('GETQUOTA ""')).untagged).toEqual(['QUOTA "" (MESSAGE 3 4)']);
    await client.close();
  });

  test("STATUS DELETED and DELETED-STORAGE count the \\Deleted messages and their size in KiB", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const big = `Subject: big\r\n\r\n${"x".repeat(3000)}\r\n`;
    await client.append("INBOX", big, "(\\Deleted)");
    await client.append("INBOX", "Subject: small\r\n\r\nx\r\n");
    const r = await client.command("STATUS INBOX (MESSAGES DELETED DELETED-STORAGE)");
    expect(r.untagged).toEqual(["STATUS INBOX (MESSAGES 2 DELETED 1 DELETED-STORAGE 3)"]);
    await client.close();
  });
});
