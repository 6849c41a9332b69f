/**
 * GET /api/v1/events (issue 16): the live events as Server-Sent Events, read by real clients — curl
 * -N, Deno's global EventSource, and a fetch() stream reader — against a real server: messages
 * arriving over SMTP, flags changed and messages deleted over REST, outgoing mail delivered, deferred
 * and bounced by a real SMTP peer, failed IMAP logins; resuming with Last-Event-ID; the filters.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, TEST_TOKEN, type TestServer } from "../harness/server.ts";
import { SmtpClient, sendMail } from "../harness/smtp-client.ts";
import { dataOf, openSse, type SseEvent } from "../harness/sse-client.ts";
import { submit } from "../smtp/outbound-helpers.ts";
import { type Peer, smtpError, startPeer } from "../smtp/peer.ts";
import { enc, expectProblem, makeMessage } from "./helpers.ts";

let server: TestServer;
let peer: Peer;
let base: string;
const auth = { authorization: `Bearer ${TEST_TOKEN}` };

beforeAll(async () => {
  peer = await startPeer({
    onRcpt: (address) =>
      address.startsWith("nobody@")
        ? smtpError(550, "5.1.1 nobody here")
        : address.startsWith("later@")
          ? smtpError(451, "4.3.0 try later")
          : undefined,
  });
  server = await startTestServer({
    routes: [{ domain: "remote.example", host: "127.0.0.1", port: peer.port }],
  });
  base = `http://127.0.0.1:${server.ports.http}/api/v1/events`;
});

afterAll(async () => {
  await server?.close();
  await peer?.close();
});

const received = (subject: string) => (e: SseEvent) =>
  e.event === "message.received" && dataOf(e).data.subject === subject;

/** Runs curl -N on the stream until its output contains `until`; returns the output. */
function curlUntil(url: string, until: string, start: () => Promise<unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const curl = spawn("curl", ["-sS", "-N", "-H", `Authorization: Bearer ${TEST_TOKEN}`, url]);
    let out = "";
    let started = false;
    const timer = setTimeout(() => {
      curl.kill();
      reject(new Error(`curl saw no ${until}: ${out}`));
    }, 10_000);
    curl.stdout.setEncoding("utf8");
    curl.stdout.on("data", (chunk: string) => {
      out += chunk;
      // The first bytes (retry and a comment) say the stream is open: now make the event happen.
      if (!started) {
        started = true;
        start().catch(reject);
      }
      if (out.includes(until)) {
        clearTimeout(timer);
        curl.kill();
        resolve(out);
      }
    });
  });
}

describe("reading the stream", () => {
  test("curl -N sees message.received with an id, the event name and the message's summary as JSON", async () => {
    const address = await freshAccount(server);
    const out = await curlUntil(base, "curl-subject", () =>
      sendMail(
        server.ports.smtp!,
        "sender@remote.example",
        [address],
        makeMessage({ subject: "curl-subject", to: address }),
      ),
    );
    const frame = out.split("\n\n").find((f) => f.includes("curl-subject"))!;
    expect(frame).toMatch(/^id: \d+$/m);
    expect(frame).toMatch(/^event: message\.received$/m);
    const data = JSON.parse(/^data: (.*)$/m.exec(frame)![1]!);
    expect(data).toMatchObject({
      type: "message.received",
      account: address,
      data: { mailbox: "INBOX", subject: "curl-subject", uid: 1 },
    });
    expect(String(data.id)).toBe(/^id: (\d+)$/m.exec(frame)![1]!);
    expect(typeof data.data.id).toBe("number");
    expect(out.startsWith("retry: ")).toBe(true);
  });

  test("Deno's EventSource receives message.received, the token given as access_token (it cannot send headers)", async () => {
    const address = await freshAccount(server);
    const url = `${base}?type=message.received&account=${enc(address)}&access_token=${TEST_TOKEN}`;
    const script = `
      const source = new EventSource(${JSON.stringify(url)});
      source.onopen = () => console.log("open");
      source.addEventListener("message.received", (e) => {
        console.log(JSON.stringify({ lastEventId: e.lastEventId, data: JSON.parse(e.data) }));
        source.close();
      });
      source.onerror = () => { console.log("error"); source.close(); };
    `;
    const deno = spawn("deno", ["eval", script], { env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    const lines = new Promise<string[]>((resolve, reject) => {
      deno.stdout.setEncoding("utf8");
      deno.stdout.on("data", (chunk: string) => {
        out += chunk;
        if (out.includes("open\n") && !out.includes("sent")) {
          out += "sent\n";
          sendMail(
            server.ports.smtp!,
            "sender@remote.example",
            [address],
            makeMessage({ subject: "deno-es", to: address }),
          ).catch(reject);
        }
      });
      deno.on("exit", () => resolve(out.trim().split("\n")));
      setTimeout(() => {
        deno.kill();
        reject(new Error(`deno saw nothing: ${out}`));
      }, 20_000);
    });
    const got = await lines;
    expect(got).not.toContain("error");
    const event = JSON.parse(got.find((l) => l.startsWith("{"))!);
    expect(event.data).toMatchObject({
      type: "message.received",
      account: address,
      data: { subject: "deno-es" },
    });
    expect(event.lastEventId).toBe(String(event.data.id));
  }, 30_000);

  test("without the admin token the stream is a 401; a wrong access_token too", async () => {
    await expectProblem(await fetch(base), 401);
    await expectProblem(await fetch(`${base}?access_token=wrong`), 401);
    // The query token is accepted on the event stream only.
    await expectProblem(
      await fetch(`http://127.0.0.1:${server.ports.http}/api/v1/domains?access_token=${TEST_TOKEN}`),
      401,
    );
  });

  test("an unknown type, a bad Last-Event-ID or an unknown parameter is a 422", async () => {
    await expectProblem(await fetch(`${base}?type=message.nope`, { headers: auth }), 422);
    await expectProblem(await fetch(base, { headers: { ...auth, "last-event-id": "abc" } }), 422);
    await expectProblem(await fetch(`${base}?colour=red`, { headers: auth }), 422);
  });
});

describe("what is published", () => {
  test("flags changed and a message deleted over REST: message.flags then message.deleted, in order", async () => {
    const address = await freshAccount(server);
    const sse = await openSse(`${base}?account=${enc(address)}`, auth);
    await sendMail(
      server.ports.smtp!,
      "sender@remote.example",
      [address],
      makeMessage({ subject: "flagme", to: address }),
    );
    const arrived = dataOf(await sse.next(received("flagme")));
    const id = arrived.data.id as number;
    const patch = await server.api(`/api/v1/accounts/${enc(address)}/messages/${id}`, {
      method: "PATCH",
      json: { addFlags: ["\\Seen", "Work"] },
    });
    expect(patch.status).toBe(200);
    const flags = dataOf(await sse.next((e) => e.event === "message.flags"));
    expect(flags).toMatchObject({ account: address, data: { mailbox: "INBOX", uid: arrived.data.uid } });
    expect(flags.data.flags).toEqual(expect.arrayContaining(["\\Seen", "Work"]));
    expect(
      (await server.api(`/api/v1/accounts/${enc(address)}/messages/${id}`, { method: "DELETE" })).status,
    ).toBe(204);
    const deleted = dataOf(await sse.next((e) => e.event === "message.deleted"));
    expect(deleted).toMatchObject({ account: address, data: { mailbox: "INBOX", uids: [arrived.data.uid] } });
    expect(deleted.id).toBeGreaterThan(flags.id);
    expect(flags.id).toBeGreaterThan(arrived.id);
    sse.close();
  });

  test("a delivered and an IMAP-copied message.received carry the summary the REST view shows", async () => {
    // The delivery's summary comes with the ingest's change; the copy's is read back after commit.
    const address = await freshAccount(server);
    const sse = await openSse(`${base}?account=${enc(address)}&type=message.received`, auth);
    await sendMail(
      server.ports.smtp!,
      "sender@remote.example",
      [address],
      makeMessage({ subject: "summary-me", from: "Sam <sam@remote.example>", to: address }),
    );
    const delivered = dataOf(await sse.next(received("summary-me")));
    const imap = await ImapClient.login(server.ports.imap!, address);
    try {
      expect((await imap.command("CREATE Kept")).status).toBe("OK");
      await imap.command("SELECT INBOX");
      expect((await imap.command("COPY 1 Kept")).status).toBe("OK");
    } finally {
      await imap.close();
    }
    const copied = dataOf(
      await sse.next((e) => received("summary-me")(e) && dataOf(e).data.mailbox === "Kept"),
    );
    for (const event of [delivered, copied]) {
      const list = await server.api(
        `/api/v1/accounts/${enc(address)}/mailboxes/${enc(String(event.data.mailbox))}/messages`,
      );
      const { items } = (await list.json()) as { items: Array<Record<string, unknown>> };
      const item = items.find((m) => m.id === event.data.id)!;
      expect(event.data).toMatchObject({
        subject: item.subject,
        from: item.from,
        to: item.to,
        size: item.size,
      });
    }
    expect(delivered.data.from).toContain("sam@remote.example");
    expect(copied.data.id).not.toBe(delivered.data.id);
    sse.close();
  });

  test("a submission to a remote peer: queue.delivered, queue.deferred (451) and queue.bounced (550)", async () => {
    const address = await freshAccount(server);
    const sse = await openSse(`${base}?type=queue.*`, auth);
    const sent = await submit(server, {
      user: address,
      to: ["ok@remote.example", "later@remote.example", "nobody@remote.example"],
      raw: `From: ${address}\r\nTo: ok@remote.example\r\nSubject: out\r\n\r\nHello.\r\n`,
    });
    expect(sent.ok).toBe(true);
    const byRecipient = new Map<string, ReturnType<typeof dataOf>>();
    while (byRecipient.size < 3) {
      const e = dataOf(await sse.next(undefined, 20_000));
      if (e.data.sender === address) byRecipient.set(String(e.data.recipient), e);
    }
    expect(byRecipient.get("ok@remote.example")).toMatchObject({ type: "queue.delivered", account: address });
    expect(byRecipient.get("later@remote.example")).toMatchObject({
      type: "queue.deferred",
      data: { attempt: 1, error: expect.stringContaining("451") },
    });
    expect(byRecipient.get("later@remote.example")!.data.nextAttemptAt).toEqual(expect.any(String));
    expect(byRecipient.get("nobody@remote.example")).toMatchObject({
      type: "queue.bounced",
      data: { status: "5.1.1" },
    });
    sse.close();
  }, 30_000);

  test("a failed IMAP login (python3 imaplib) is auth.failed with the protocol and login", async () => {
    const address = await freshAccount(server);
    const sse = await openSse(`${base}?type=auth.failed`, auth);
    const py = spawn("python3", [
      "-c",
      `import imaplib,sys\nc=imaplib.IMAP4("127.0.0.1", ${server.ports.imap})\ntry:\n  c.login("${address}", "wrong")\nexcept imaplib.IMAP4.error:\n  print("refused")\n`,
    ]);
    const failed = dataOf(await sse.next((e) => dataOf(e).data.login === address, 20_000));
    expect(failed).toMatchObject({
      type: "auth.failed",
      account: address,
      data: { protocol: "imap", lockedOut: false },
    });
    py.kill();
    sse.close();
  }, 30_000);

  test("?account= keeps one account's events and ?type= one kind", async () => {
    const one = await freshAccount(server);
    const two = await freshAccount(server);
    const onlyOne = await openSse(`${base}?account=${enc(one.toUpperCase())}`, auth);
    const onlyFlags = await openSse(`${base}?type=message.flags&account=${enc(two)}`, auth);
    await sendMail(
      server.ports.smtp!,
      "s@remote.example",
      [two],
      makeMessage({ subject: "for-two", to: two }),
    );
    await sendMail(
      server.ports.smtp!,
      "s@remote.example",
      [one],
      makeMessage({ subject: "for-one", to: one }),
    );
    const got = dataOf(await onlyOne.next(received("for-one")));
    expect(got.account).toBe(one);
    expect(onlyOne.events.every((e) => dataOf(e).account === one)).toBe(true);
    expect(onlyFlags.events).toEqual([]);
    onlyOne.close();
    onlyFlags.close();
  });
});

describe("resuming", () => {
  test("Last-Event-ID replays exactly the events missed while away, then goes on live", async () => {
    const address = await freshAccount(server);
    const url = `${base}?account=${enc(address)}`;
    const first = await openSse(url, auth);
    await sendMail(
      server.ports.smtp!,
      "s@remote.example",
      [address],
      makeMessage({ subject: "r1", to: address }),
    );
    const seen = await first.next(received("r1"));
    first.close();
    await first.ended;
    for (const subject of ["r2", "r3", "r4"])
      await sendMail(
        server.ports.smtp!,
        "s@remote.example",
        [address],
        makeMessage({ subject, to: address }),
      );
    // The store feed publishes after each commit: the last one is in once a wait finds it.
    const waited = await server.api(`/api/v1/accounts/${enc(address)}/messages/wait?subject=r4&timeout=10s`);
    expect(waited.status).toBe(200);
    const again = await openSse(url, { ...auth, "last-event-id": seen.id! });
    const replayed = [await again.next(), await again.next(), await again.next()];
    expect(replayed.map((e) => dataOf(e).data.subject)).toEqual(["r2", "r3", "r4"]);
    const ids = replayed.map((e) => Number(e.id));
    expect(ids[0]!).toBeGreaterThan(Number(seen.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    await sendMail(
      server.ports.smtp!,
      "s@remote.example",
      [address],
      makeMessage({ subject: "r5", to: address }),
    );
    expect(dataOf(await again.next()).data.subject).toBe("r5");
    again.close();
  });

  test("a Last-Event-ID older than the retained events (or from before a restart) starts with stream.gap", async () => {
    const sse = await openSse(base, { ...auth, "last-event-id": "1" });
    const gap = await sse.next((e) => e.event === "stream.gap");
    expect(JSON.parse(gap.data)).toMatchObject({ lastEventId: 1 });
    sse.close();
  });

  test("the newest id resumes with nothing replayed and no gap", async () => {
    const sse = await openSse(base, { ...auth, "last-event-id": String(server.events.lastId) });
    await sse.comment((t) => t.includes("mailroom events"));
    expect(sse.events).toEqual([]);
    sse.close();
  });
});

describe("no loss across reconnects", () => {
  test("1,000 SMTP deliveries while the client reconnects with Last-Event-ID every 25 events: each seen once, in order", async () => {
    const address = await freshAccount(server);
    const TOTAL = 1_000;
    const LANES = 4;
    const url = `${base}?account=${enc(address)}&type=message.received`;
    const seen: string[] = [];
    const ids: number[] = [];
    let reconnects = 1;
    let lastId: string | undefined;
    // The first stream is open before the first delivery; after that, Last-Event-ID covers the gaps.
    let sse = await openSse(url, auth);
    const reading = (async () => {
      for (;;) {
        try {
          for (let n = 0; n < 25 && seen.length < TOTAL; n++) {
            const e = await sse.next(undefined, 30_000);
            seen.push(String(dataOf(e).data.subject));
            ids.push(Number(e.id));
            lastId = e.id;
          }
        } finally {
          sse.close();
        }
        if (seen.length >= TOTAL) return;
        sse = await openSse(url, { ...auth, "last-event-id": lastId! });
        reconnects++;
      }
    })();
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const { client } = await SmtpClient.connect(server.ports.smtp!);
        try {
          await client.command("EHLO race.test");
          for (let i = 0; i < TOTAL / LANES; i++) {
            await client.command("MAIL FROM:<s@remote.example>");
            await client.command(`RCPT TO:<${address}>`);
            const r = await client.data(makeMessage({ subject: `m${lane}.${i}`, to: address }));
            if (r.code !== 250) throw new Error(r.text);
          }
        } finally {
          await client.close();
        }
      }),
    );
    await reading;
    expect(new Set(seen).size).toBe(TOTAL);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(reconnects).toBeGreaterThanOrEqual(TOTAL / 25);
    console.log(`${TOTAL} events over ${reconnects} connections, none lost or repeated`);
  }, 120_000);
});
