/**
 * GET /api/v1/messages/wait and /api/v1/accounts/{address}/messages/wait (issue 16), over real HTTP
 * with the mail delivered over real SMTP: a stored match answers at once, a later one as soon as it
 * is committed, none in time is a 408 problem; criteria are literal, case-insensitive substrings;
 * `since` takes a time, an id or "latest"; the timeout is capped; waits are bounded (503) and freed
 * when the client goes away; and raced against delivery 2,000 times, no wait misses its message.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { eventually } from "../harness/eventually.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient, sendMail } from "../harness/smtp-client.ts";
import { enc, expectProblem } from "./helpers.ts";

let server: TestServer;

const ALICE = "alice@example.com";
const BOB = "bob@example.com";

beforeAll(async () => {
  server = await startTestServer({ waitMaxTimeoutMs: 1_500, maxWaits: 50 });
  await createAccounts(server, [{ address: ALICE }, { address: BOB }]);
});

afterAll(async () => {
  await server.close();
});

const message = (subject: string, body = "hello", to = ALICE) =>
  `From: Shop <shop@store.example>\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\n${body}\r\n`;

function deliver(subject: string, options: { to?: string; body?: string } = {}) {
  const to = options.to ?? ALICE;
  return sendMail(server.ports.smtp!, "shop@store.example", [to], message(subject, options.body, to)).then(
    (r) => {
      if (r.code !== 250) throw new Error(`delivery refused: ${r.text}`);
    },
  );
}

interface WaitedMessage {
  id: number;
  account: string;
  subject: string;
  text: string | null;
  mailbox: string;
}

async function waitFor(query: string, path = "/api/v1/messages/wait"): Promise<Response> {
  return server.api(`${path}?${query}`);
}

async function waited(query: string, path?: string): Promise<WaitedMessage> {
  const res = await waitFor(query, path);
  if (res.status !== 200) throw new Error(`wait ${query}: ${res.status} ${await res.text()}`);
  return (await res.json()) as WaitedMessage;
}

describe("answers", () => {
  test("a message already stored is the answer at once, as GET /messages/{id} shows it with its account", async () => {
    await deliver("stored already", { body: "the body text" });
    const m = await waited("subject=stored+already&timeout=0");
    expect(m).toEqual(
      expect.objectContaining({ account: ALICE, subject: "stored already", mailbox: "INBOX" }),
    );
    expect(m.text).toBe("the body text\r\n");
    const same = await (await server.api(`/api/v1/messages/${m.id}`)).json();
    expect(same).toEqual(m);
  });

  test("a message delivered after the wait began is the answer as soon as it is committed", async () => {
    const wait = waited("subject=arrives+later&timeout=10s");
    // The wait is in progress (no answer yet) before the delivery starts.
    const early = await Promise.race([
      wait.then(() => "answered"),
      new Promise((r) => setImmediate(() => r("waiting"))),
    ]);
    expect(early).toBe("waiting");
    await deliver("arrives later");
    expect((await wait).subject).toBe("arrives later");
  });

  test("the first (oldest) of several matches is the answer", async () => {
    await deliver("order 1 of several");
    await deliver("order 2 of several");
    expect((await waited("subject=of+several")).subject).toBe("order 1 of several");
  });

  test("no match within the timeout is a 408 problem document", async () => {
    const started = performance.now();
    const res = await waitFor("subject=never+sent&timeout=200ms");
    const body = await expectProblem(res, 408);
    expect(body.detail).toContain("no message matched within 0.2 s");
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  test("timeout=10h is capped (here at 1.5 s), and the 408 says so", async () => {
    const started = performance.now();
    const body = await expectProblem(await waitFor("subject=never+sent&timeout=10h"), 408);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(body.detail).toContain("capped at 1.5 s");
  });
});

describe("criteria", () => {
  test("every criterion must hold: to, from, subject and text, case-insensitively", async () => {
    await deliver("Invoice MAY", { to: BOB, body: "Total: 42 EUR" });
    const m = await waited(
      `to=BOB%40example&from=store.EXAMPLE&subject=invoice+may&text=${enc("total: 42")}`,
    );
    expect(m.account).toBe(BOB);
    await expectProblem(await waitFor(`to=${enc(ALICE)}&subject=invoice+may&timeout=0`), 408);
  });

  test("non-ASCII criteria match case-insensitively too", async () => {
    await deliver("=?utf-8?q?=C3=84RGER_mit_der_Bahn?=", { body: "Gr\u00fc\u00dfe" });
    expect((await waited(`subject=${enc("ärger mit")}`)).subject).toBe("ÄRGER mit der Bahn");
  });

  test("regex and LIKE metacharacters in criteria are literals", async () => {
    await deliver("price 50% off [today] (a|b) .* x_y \\d+");
    await deliver("price 50 off today ab anything xzy 7");
    for (const needle of ["50%", "[today]", "(a|b)", ".*", "x_y", "\\d+"]) {
      const m = await waited(`subject=${enc(needle)}&timeout=0`);
      expect(m.subject).toBe("price 50% off [today] (a|b) .* x_y \\d+");
    }
    await expectProblem(await waitFor(`subject=${enc("x%y")}&timeout=0`), 408);
    await expectProblem(await waitFor(`subject=${enc("^price")}&timeout=0`), 408);
  });

  test("since=latest waits for a message newer than all stored; since takes an id and a time too", async () => {
    await deliver("since check one");
    const first = await waited("subject=since+check");
    await expectProblem(await waitFor("subject=since+check&since=latest&timeout=0"), 408);
    const next = waited("subject=since+check&since=latest&timeout=10s");
    await deliver("since check two");
    const second = await next;
    expect(second.subject).toBe("since check two");
    expect((await waited(`subject=since+check&since=${first.id}`)).id).toBe(second.id);
    const future = new Date(Date.now() + 60_000).toISOString();
    await expectProblem(await waitFor(`subject=since+check&since=${future}&timeout=0`), 408);
    expect((await waited("subject=since+check&since=2000-01-01T00:00:00Z")).id).toBe(first.id);
  });

  test("the account-scoped wait sees only that account's messages", async () => {
    await deliver("scoped wait", { to: BOB });
    const path = `/api/v1/accounts/${enc(ALICE)}/messages/wait`;
    await expectProblem(await waitFor("subject=scoped+wait&timeout=0", path), 408);
    const wait = waited("subject=scoped+wait&timeout=10s", path);
    await deliver("scoped wait", { to: ALICE });
    expect((await wait).account).toBe(ALICE);
    await expectProblem(
      await waitFor("timeout=0", "/api/v1/accounts/nobody%40example.com/messages/wait"),
      404,
    );
  });

  test("bad parameters are 422 problems naming them", async () => {
    for (const query of [
      "timeout=soon",
      "since=yesterday",
      "subject=",
      "colour=red",
      `to=${"x".repeat(501)}`,
    ]) {
      const body = await expectProblem(await waitFor(query), 422);
      expect(body.errors?.length).toBeGreaterThan(0);
    }
  });
});

describe("limits", () => {
  /** A wait sent over a raw socket, so the test decides when the client goes away. */
  function rawWait(query: string): Promise<ReturnType<typeof connect>> {
    return new Promise((resolve, reject) => {
      const socket = connect(server.ports.http!, "127.0.0.1", () => {
        socket.write(
          `GET /api/v1/messages/wait?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer test-admin-token-0123456789\r\n\r\n`,
        );
        resolve(socket);
      });
      socket.once("error", reject);
    });
  }

  test("past maxWaits a wait is refused with 503 and Retry-After; a client that leaves frees its wait", async () => {
    const sockets = await Promise.all(
      Array.from({ length: 50 }, () => rawWait("subject=nothing+ever&timeout=1m")),
    );
    // The 51st is refused once all 50 are in progress.
    const refused = await eventually(async () => {
      const res = await waitFor("subject=nothing+ever&timeout=0");
      if (res.status === 503) return res;
      await res.body?.cancel();
      return undefined;
    }, "the 51st wait to be refused");
    expect(refused.headers.get("retry-after")).toBe("1");
    await expectProblem(refused, 503);
    for (const socket of sockets) socket.destroy();
    // Their waits end with their connections: there is room again.
    await eventually(
      async () => (await waitFor("subject=nothing+ever&timeout=0")).status === 408,
      "a wait to be accepted after the clients left",
    );
  });
});

describe("no miss", () => {
  test("2,000 waits raced against 2,000 SMTP deliveries each get their own message", async () => {
    const LANES = 4;
    const PER_LANE = 500;
    const misses: string[] = [];
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const { client } = await SmtpClient.connect(server.ports.smtp!);
        await client.command("EHLO race.test");
        try {
          for (let i = 0; i < PER_LANE; i++) {
            const token = `race<${lane}.${i}>`;
            const send = async () => {
              await client.command("MAIL FROM:<race@store.example>");
              await client.command(`RCPT TO:<${ALICE}>`);
              const r = await client.data(message(token));
              if (r.code !== 250) throw new Error(r.text);
            };
            const wait = async () => {
              const res = await waitFor(`subject=${enc(token)}&timeout=20s`);
              const body = (await res.json()) as { subject?: string };
              if (res.status !== 200 || body.subject !== token) misses.push(`${token}: ${res.status}`);
            };
            // Every order: the wait first, the delivery first, and both at once.
            if (i % 3 === 0) await Promise.all([wait(), send()]);
            else if (i % 3 === 1) await Promise.all([send(), wait()]);
            else {
              const waiting = wait();
              await new Promise((r) => setImmediate(r));
              await Promise.all([waiting, send()]);
            }
          }
        } finally {
          await client.close();
        }
      }),
    );
    expect(misses).toEqual([]);
  }, 120_000);
});
