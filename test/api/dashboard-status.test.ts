/**
 * What the dashboard reads (issue 17), over the REST API of a real server: the listeners with their
 * ports, TLS modes and open connections; mail received and delivered per hour (from the database);
 * and the recent refusals, fed by the same hook that counts SMTP rejections for /metrics, plus
 * failed logins.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { eventually } from "../harness/eventually.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { message, submit } from "../smtp/outbound-helpers.ts";
import { type Peer, startPeer } from "../smtp/peer.ts";

let server: TestServer;
let peer: Peer;

beforeAll(async () => {
  peer = await startPeer();
  server = await startTestServer({
    routes: [{ domain: "*", host: "127.0.0.1", port: peer.port }],
    queueRetry: [60_000],
  });
  await createAccounts(server, [{ address: "alice@example.com" }]);
});

afterAll(async () => {
  await server.close();
  await peer.close();
});

async function json<T>(path: string): Promise<T> {
  const res = await server.api(path);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

interface ListenerJson {
  name: string;
  address: string;
  port: number | null;
  tls: string;
  connections: number | null;
}
interface HourJson {
  hour: number;
  received: number;
  delivered: number;
  bounced: number;
}

describe("GET /api/v1/listeners", () => {
  test("lists every listener with its bound port and TLS mode", async () => {
    const { items } = await json<{ items: ListenerJson[] }>("/api/v1/listeners");
    const by = new Map(items.map((l) => [l.name, l]));
    expect(by.get("smtp")).toMatchObject({ address: "127.0.0.1", port: server.ports.smtp, tls: "starttls" });
    expect(by.get("smtps")).toMatchObject({ port: server.ports.smtps, tls: "implicit" });
    expect(by.get("imaps")).toMatchObject({ port: server.ports.imaps, tls: "implicit" });
    expect(by.get("pop3")).toMatchObject({ port: server.ports.pop3, tls: "starttls", connections: 0 });
    expect(by.get("pop3s")).toMatchObject({ tls: "implicit", connections: 0 });
    expect(by.get("public-https")).toMatchObject({ tls: "implicit" });
    // Every listener counts its connections but the admin API, whose HTTP server does not.
    expect(items.filter((l) => l.connections === null).map((l) => l.name)).toEqual(["http"]);
    expect(by.get("http")).toMatchObject({ port: server.ports.http, tls: "none", connections: null });
  });

  test("counts the connections open on a listener now", async () => {
    const imapOpen = async () =>
      (await json<{ items: ListenerJson[] }>("/api/v1/listeners")).items.find((l) => l.name === "imap")!
        .connections;
    const smtpOpen = async () =>
      (await json<{ items: ListenerJson[] }>("/api/v1/listeners")).items.find((l) => l.name === "smtp")!
        .connections;
    expect(await imapOpen()).toBe(0);
    const greeted = (port: number) =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("data", () => resolve(socket));
        socket.once("error", reject);
      });
    const imap = await greeted(server.ports.imap!);
    const smtp = await greeted(server.ports.smtp!);
    expect(await imapOpen()).toBe(1);
    expect(await smtpOpen()).toBe(1);
    imap.destroy();
    smtp.destroy();
    await eventually(async () => (await imapOpen()) === 0 && (await smtpOpen()) === 0, "connections closed");
  });
});

describe("GET /api/v1/stats/hourly", () => {
  test("counts a message received and a recipient delivered in the current hour", async () => {
    const sent = await sendMail(
      server.ports.smtp!,
      "carol@remote.example",
      ["alice@example.com"],
      message("carol@remote.example", "alice@example.com", "Counted"),
    );
    expect(sent.code).toBe(250);
    const result = await submit(server, {
      user: "alice@example.com",
      to: ["dave@remote.example"],
      raw: message("alice@example.com", "dave@remote.example", "Out"),
    });
    expect(result.ok).toBe(true);
    await peer.next();
    const sum = (items: HourJson[], key: "received" | "delivered" | "bounced") =>
      items.reduce((n, h) => n + h[key], 0);
    const now = await eventually(async () => {
      const { items } = await json<{ items: HourJson[] }>("/api/v1/stats/hourly");
      return sum(items, "delivered") === 1 && items;
    }, "the delivery counted");
    expect(now).toHaveLength(24);
    expect(now.at(-1)!.hour).toBe(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    // Summed over the hours (a run across the top of an hour splits them), all in the last two.
    expect(sum(now, "received")).toBe(1);
    expect(sum(now, "bounced")).toBe(0);
    expect(sum(now.slice(-2), "received") + sum(now.slice(-2), "delivered")).toBe(2);
    expect((await json<{ items: HourJson[] }>("/api/v1/stats/hourly?hours=48")).items).toHaveLength(48);
    expect((await server.api("/api/v1/stats/hourly?hours=49")).status).toBe(422);
  });
});

describe("GET /api/v1/refusals", () => {
  test("shows an SMTP refusal with its client and reply, counted once by /metrics from the same hook", async () => {
    const rejections = async () => {
      const text = await (await server.api("/metrics")).text();
      const line = text
        .split("\n")
        .find((l) => l.startsWith('mailroom_smtp_rejections_total{command="RCPT",reason="5.1.1"}'));
      return line ? Number(line.split(" ").at(-1)) : 0;
    };
    const before = await rejections();
    const refused = await sendMail(server.ports.smtp!, "carol@remote.example", ["nobody@example.com"], "x");
    expect(refused.code).toBe(550);
    const { items } = await json<{ items: Array<Record<string, unknown>> }>("/api/v1/refusals?kind=smtp");
    expect(items[0]).toMatchObject({
      kind: "smtp",
      listener: "smtp",
      client: "127.0.0.1",
      command: "RCPT",
      code: 550,
      status: "5.1.1",
    });
    expect(String(items[0]!.reply)).toStartWith("5.1.1");
    expect(await rejections()).toBe(before + 1);
  });

  test("shows a failed login, newest first", async () => {
    const wrong = await fetch(`http://127.0.0.1:${server.ports.http}/ui/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address: "alice@example.com", password: "not-her-password" }),
    });
    expect(wrong.status).toBe(401);
    const { items } = await json<{ items: Array<Record<string, unknown>> }>("/api/v1/refusals");
    expect(items[0]).toMatchObject({
      kind: "auth",
      protocol: "web",
      login: "alice@example.com",
      lockedOut: false,
    });
    expect(items.some((r) => r.kind === "smtp")).toBe(true);
    expect((await json<{ items: unknown[] }>("/api/v1/refusals?limit=1")).items).toHaveLength(1);
    expect((await server.api("/api/v1/refusals?limit=0")).status).toBe(422);
  });
});
