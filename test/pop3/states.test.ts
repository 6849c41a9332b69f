/**
 * Every command in every state (RFC 1939 §§3-6): allowed commands work, the others get -ERR naming
 * the state, and the session goes on. UPDATE accepts nothing: the server closes after QUIT's reply.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { deliver, simpleMessage } from "./fixtures.ts";

let server: TestServer;
let port: number;
let address: string;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.pop3!;
  address = await freshAccount(server);
  await deliver(server, address, simpleMessage("one"));
  await deliver(server, address, simpleMessage("two"));
});

afterAll(async () => {
  await server.close();
});

/** A well-formed example of every command (QUIT is tested on its own: it ends the session). */
const EXAMPLES: Record<string, string> = {
  CAPA: "CAPA",
  USER: "USER someone",
  PASS: "PASS something",
  AUTH: "AUTH",
  STAT: "STAT",
  LIST: "LIST",
  RETR: "RETR 1",
  DELE: "DELE 1",
  NOOP: "NOOP",
  RSET: "RSET",
  TOP: "TOP 1 0",
  UIDL: "UIDL",
};
const MULTI_LINE = new Set(["CAPA", "AUTH", "LIST", "RETR", "TOP", "UIDL"]);

const ALLOWED: Record<"AUTHORIZATION" | "TRANSACTION", string[]> = {
  AUTHORIZATION: ["CAPA", "USER", "PASS", "AUTH", "QUIT"],
  TRANSACTION: ["CAPA", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL", "QUIT"],
};

async function inState(state: "AUTHORIZATION" | "TRANSACTION"): Promise<Pop3Client> {
  if (state === "TRANSACTION") return Pop3Client.login(port, address);
  return (await Pop3Client.connect(port)).client;
}

for (const state of ["AUTHORIZATION", "TRANSACTION"] as const) {
  describe(`in ${state}`, () => {
    for (const [name, line] of Object.entries(EXAMPLES)) {
      const allowed = ALLOWED[state].includes(name);
      test(`${name} ${allowed ? "is answered" : "gets -ERR"} in ${state}`, async () => {
        const client = await inState(state);
        if (allowed && name === "PASS") await client.command("USER someone");
        const r = allowed && MULTI_LINE.has(name) ? await client.multi(line) : await client.command(line);
        if (allowed) {
          // PASS for an unknown user is the one allowed command that fails: it fails as a login.
          if (name === "PASS") expect(r.code).toBe("AUTH");
          else expect(r.ok).toBe(true);
        } else {
          expect(r.ok).toBe(false);
          expect(r.text).toContain(`not allowed in the ${state} state`);
          // The session goes on in the same state.
          const again = await client.multi("CAPA");
          expect(again.ok).toBe(true);
        }
        // Dropped, not QUIT: a DELE here must not remove mail the next rows use.
        await client.drop();
      });
    }

    test(`QUIT in ${state} answers +OK and closes`, async () => {
      const client = await inState(state);
      expect((await client.quit()).ok).toBe(true);
      expect(client.isClosed).toBe(true);
    });
  });
}

describe("UPDATE", () => {
  test("commands pipelined after QUIT are not answered: the server closes after QUIT's reply", async () => {
    const client = await Pop3Client.login(port, address);
    client.write("QUIT\r\nSTAT\r\nNOOP\r\n");
    const r = await client.read();
    expect(r.ok).toBe(true);
    await client.closed;
    expect(client.unread).toBe(0);
  });
});

describe("SASL exchange", () => {
  test("while AUTH waits for a response, a command-looking line is taken as the response", async () => {
    const { client } = await Pop3Client.connect(port);
    expect((await client.command("AUTH PLAIN")).line).toBe("+ ");
    // "STAT" is not base64: the exchange fails, and we are back in AUTHORIZATION, not TRANSACTION.
    expect((await client.command("STAT")).ok).toBe(false);
    const stat = await client.command("STAT");
    expect(stat.text).toContain("not allowed in the AUTHORIZATION state");
    await client.quit();
  });
});
