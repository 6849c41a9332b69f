/**
 * Several clients at once on the same mailboxes, every reply checked against a model of what each
 * client was told (test/harness/imap-consistency.ts): sequence numbers, EXPUNGE rules, UIDs, keywords
 * announced before use, MODSEQ never going back, \Recent in exactly one session, and in the end
 * every client agreeing with a fresh view of the mailbox. Seeded: set CONSISTENCY_SEED to replay a
 * failure (its seed is in the message). A longer soak: bun bench/imap-consistency.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { runConsistency } from "../harness/imap-consistency.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

const seeds = process.env.CONSISTENCY_SEED ? [Number(process.env.CONSISTENCY_SEED)] : [0x5eed01, 0xc0ffee];

describe("four sessions on two mailboxes, random commands", () => {
  test.each(seeds)(
    "seed %i: every reply fits the client's model and all end agreeing with the mailbox",
    async (seed) => {
      const address = await freshAccount(server, {
        messages: 20,
        mailboxes: ["Other"],
        keywords: { 3: ["Todo"] },
      });
      const report = await runConsistency({
        port: server.ports.imap!,
        address,
        seed,
        sessions: [
          { mailbox: "INBOX" },
          { mailbox: "INBOX", condstore: true },
          { mailbox: "INBOX" },
          { mailbox: "Other", condstore: true },
        ],
        commands: 150,
      });
      expect({ seed, violations: report.violations }).toEqual({ seed, violations: [] });
      // Every kind of command ran.
      expect(Object.keys(report.byKind).sort()).toEqual(
        ["APPEND", "COPY", "EXPUNGE", "FETCH", "MOVE", "NOOP", "SEARCH", "STORE"].sort(),
      );
    },
    60_000,
  );
});
