/**
 * Every command in every state (RFC 3501 §6): a command outside the states it is allowed in is BAD
 * and changes nothing; the session goes on. Driven from the registry, so a new command is covered.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { COMMANDS } from "../../src/imap/commands/registry.ts";
import type { StateKind } from "../../src/imap/session.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "state@example.com" }]);
});

afterAll(async () => {
  await server.close();
});

/** A syntactically valid example of each command, so only the state decides the answer. */
const EXAMPLES: Record<string, string> = {
  CAPABILITY: "CAPABILITY",
  NOOP: "NOOP",
  ID: "ID NIL",
  LOGIN: 'LOGIN "state@example.com" "wrong"',
  AUTHENTICATE: "AUTHENTICATE PLAIN AHN0YXRlQGV4YW1wbGUuY29tAHdyb25n",
  STARTTLS: "STARTTLS",
  ENABLE: "ENABLE CONDSTORE",
  SELECT: "SELECT INBOX",
  EXAMINE: "EXAMINE INBOX",
  CREATE: "CREATE Probe",
  DELETE: "DELETE Probe",
  RENAME: "RENAME Probe Probe2",
  SUBSCRIBE: "SUBSCRIBE INBOX",
  UNSUBSCRIBE: "UNSUBSCRIBE INBOX",
  LIST: 'LIST "" "*"',
  LSUB: 'LSUB "" "*"',
  STATUS: "STATUS INBOX (MESSAGES)",
  APPEND: "APPEND INBOX {7+}\r\nSubject",
  NAMESPACE: "NAMESPACE",
  UNAUTHENTICATE: "UNAUTHENTICATE",
  GETQUOTA: 'GETQUOTA ""',
  GETQUOTAROOT: "GETQUOTAROOT INBOX",
  SETQUOTA: 'SETQUOTA "" (STORAGE 100)',
  COMPRESS: "COMPRESS DEFLATE",
  GETMETADATA: 'GETMETADATA "" /shared/comment',
  SETMETADATA: 'SETMETADATA "" (/private/comment "x")',
  NOTIFY: "NOTIFY NONE",
  CHECK: "CHECK",
  CLOSE: "CLOSE",
  UNSELECT: "UNSELECT",
  EXPUNGE: "EXPUNGE",
  SEARCH: "SEARCH ALL",
  FETCH: "FETCH 1 FLAGS",
  STORE: "STORE 1 +FLAGS (\\Seen)",
  COPY: "COPY 1 Archive",
  MOVE: "MOVE 1 Archive",
  "UID SEARCH": "UID SEARCH ALL",
  "UID FETCH": "UID FETCH 1 FLAGS",
  "UID STORE": "UID STORE 1 +FLAGS (\\Seen)",
  "UID COPY": "UID COPY 1 Archive",
  "UID MOVE": "UID MOVE 1 Archive",
  "UID EXPUNGE": "UID EXPUNGE 1",
  REPLACE: "REPLACE 1 INBOX {7+}\r\nSubject",
  "UID REPLACE": "UID REPLACE 1 INBOX {7+}\r\nSubject",
  SORT: "SORT (DATE) UTF-8 ALL",
  "UID SORT": "UID SORT (REVERSE SUBJECT) UTF-8 ALL",
  THREAD: "THREAD REFERENCES UTF-8 ALL",
  "UID THREAD": "UID THREAD ORDEREDSUBJECT UTF-8 ALL",
  CANCELUPDATE: 'CANCELUPDATE "none"',
};

/**
 * Extension forms of registered commands (name -> examples): tried in every state like the
 * commands themselves, so a form's handling cannot skip the registry's state check.
 */
const FORMS: Record<string, string[]> = {
  // RFC 5182 SEARCHRES: the saving search and "$" wherever a sequence set goes.
  SEARCH: [
    "SEARCH RETURN (SAVE) ALL",
    "SEARCH RETURN (SAVE MIN) $",
    "SEARCH RETURN (UPDATE PARTIAL -1:-5) ALL",
  ],
  // RFC 5267 ESORT, with SAVE (RFC 5182 §2.4).
  SORT: [
    "SORT RETURN (MIN COUNT SAVE) (DISPLAYFROM) UTF-8 ALL",
    // RFC 5267 §4: CONTEXT=SORT's return options.
    "SORT RETURN (UPDATE PARTIAL 1:10) (DATE) UTF-8 ALL",
  ],
  "UID SORT": ["UID SORT RETURN (CONTEXT UPDATE) (ARRIVAL) UTF-8 ALL"],
  "UID SEARCH": ["UID SEARCH RETURN (SAVE) UID $"],
  FETCH: ["FETCH $ FLAGS"],
  "UID FETCH": ["UID FETCH $ FLAGS"],
  STORE: ["STORE $ +FLAGS (\\Seen)"],
  "UID STORE": ["UID STORE $ +FLAGS (\\Seen)"],
  COPY: ["COPY $ Archive"],
  "UID COPY": ["UID COPY $ Archive"],
  MOVE: ["MOVE $ Archive"],
  "UID MOVE": ["UID MOVE $ Archive"],
  "UID EXPUNGE": ["UID EXPUNGE $"],
  // RFC 7162 §3.1: CONDSTORE-enabling forms.
  STATUS: ["STATUS INBOX (HIGHESTMODSEQ RECENT)"],
};

async function clientIn(state: StateKind): Promise<ImapClient> {
  if (state === "not-authenticated") return (await ImapClient.connect(server.ports.imap!)).client;
  const client = await ImapClient.login(server.ports.imap!, "state@example.com");
  if (state === "selected") await client.command("SELECT INBOX");
  return client;
}

describe("commands outside their states", () => {
  const cases: Array<[string, StateKind]> = [];
  for (const [name, spec] of Object.entries(COMMANDS)) {
    if (name === "LOGOUT" || name === "IDLE") continue; // they end or hold the session: tested elsewhere
    for (const state of ["not-authenticated", "authenticated", "selected"] as const) {
      if (!spec.states.includes(state)) cases.push([name, state]);
    }
  }

  test("every registered command has an example here", () => {
    const missing = Object.keys(COMMANDS).filter((n) => n !== "LOGOUT" && n !== "IDLE" && !(n in EXAMPLES));
    expect(missing).toEqual([]);
  });

  test.each(cases)("%s in the %s state is BAD and the session continues", async (name, state) => {
    const client = await clientIn(state);
    try {
      const r = await client.command(EXAMPLES[name]!);
      expect(r.status).toBe("BAD");
      expect(r.text).toContain("not allowed");
      expect((await client.command("NOOP")).status).toBe("OK");
    } finally {
      await client.close();
    }
  });
});

describe("commands inside their states", () => {
  const cases: Array<[string, StateKind]> = [];
  for (const [name, spec] of Object.entries(COMMANDS)) {
    if (name === "LOGOUT" || name === "IDLE" || name === "LOGIN" || name === "AUTHENTICATE") continue;
    for (const state of spec.states) cases.push([name, state]);
  }

  test.each(cases)("%s in the %s state is not refused for its state", async (name, state) => {
    const client = await clientIn(state);
    try {
      const r = await client.command(EXAMPLES[name]!);
      // OK or NO (e.g. nothing to copy) are both answers to the command itself.
      expect(r.status === "BAD" ? r.text : "answered").toBe("answered");
    } finally {
      await client.close();
    }
  });
});

describe("extension forms in every state", () => {
  const outside: Array<[string, StateKind]> = [];
  const inside: Array<[string, StateKind]> = [];
  for (const [name, examples] of Object.entries(FORMS)) {
    const spec = COMMANDS[name]!;
    for (const example of examples)
      for (const state of ["not-authenticated", "authenticated", "selected"] as const)
        (spec.states.includes(state) ? inside : outside).push([example, state]);
  }

  test("every form belongs to a registered command", () => {
    expect(Object.keys(FORMS).filter((name) => !(name in COMMANDS))).toEqual([]);
  });

  test.each(outside)("%s in the %s state is BAD and the session continues", async (example, state) => {
    const client = await clientIn(state);
    try {
      const r = await client.command(example);
      expect(r.status).toBe("BAD");
      expect(r.text).toContain("not allowed");
      expect((await client.command("NOOP")).status).toBe("OK");
    } finally {
      await client.close();
    }
  });

  test.each(inside)("%s in the %s state is not refused", async (example, state) => {
    const client = await clientIn(state);
    try {
      const r = await client.command(example);
      expect(r.status === "BAD" ? r.text : "answered").toBe("answered");
    } finally {
      await client.close();
    }
  });
});
