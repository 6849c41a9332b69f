/**
 * The test seeder: a new account with an address no other test of the run uses, so tests that share
 * one server never see each other's mail, optionally with numbered messages already in its INBOX.
 */
import { parseMessage } from "../../src/mime/mod.ts";
import { accountGet, DELETED, mailboxCreate, messageIngest } from "../../src/store/mod.ts";
import { createAccounts, type TestServer } from "./server.ts";

export interface FreshAccountOptions {
  /** Default "secret", like createAccounts(). */
  password?: string;
  /** Bytes; absent means unlimited. */
  quota?: number;
  /** Mailboxes to create besides INBOX. */
  mailboxes?: string[];
  /** How many messages ("Subject: m<i>", "body <i>") to put in INBOX: UIDs 1..messages. */
  messages?: number;
  /** Message numbers (= UIDs) that carry \Deleted. */
  deleted?: number[];
  /** Keywords by message number, e.g. { 1: ["Work"] }. */
  keywords?: Record<number, string[]>;
  /**
   * The messages are no longer \Recent, as if another session had selected the mailboxes already
   * (RFC 3501 §2.3.2): for tests about other flags, whose FETCH FLAGS then show just those.
   */
  recentTaken?: boolean;
}

let counter = 0;

/** Creates the account (and its domain) through the store and returns its address. */
export async function freshAccount(server: TestServer, options: FreshAccountOptions = {}): Promise<string> {
  const address = `u${++counter}@example.com`;
  const { password, quota } = options;
  await createAccounts(server, [
    { address, ...(password === undefined ? {} : { password }), ...(quota === undefined ? {} : { quota }) },
  ]);
  const account = await accountGet(server.store.read, address);
  for (const name of options.mailboxes ?? [])
    await server.store.write((w) => mailboxCreate(w, account.id, name));
  for (let i = 1; i <= (options.messages ?? 0); i++) {
    const raw = Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`);
    const flags = options.deleted?.includes(i) ? { flags: DELETED } : {};
    const keywords = options.keywords ? { keywords: options.keywords[i] ?? [] } : {};
    // One transaction per message, as delivery does: UIDs follow the message numbers.
    await server.store.write((w) =>
      messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [{ accountId: account.id, mailboxName: "INBOX", ...flags, ...keywords }],
      }),
    );
  }
  if (options.recentTaken)
    await server.store.execute(
      `UPDATE mailboxes SET recent_uid = uid_next - 1 WHERE account_id = ${account.id}`,
    );
  return address;
}
