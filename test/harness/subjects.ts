/** What a database file holds, read through the store: the subjects in an account's INBOX. */
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { accountGet, contentRaw, mailboxGet, messagesOfMailbox, Store } from "../../src/store/mod.ts";

/** The Subject of every message in the INBOX of `address` in the database at `file` (opened, then closed). */
export async function inboxSubjects(file: string, address: string): Promise<Set<string>> {
  const store = await Store.open(`file:${file}`, embeddedMigrations);
  try {
    const account = await accountGet(store.read, address);
    const inbox = await mailboxGet(store.read, account.id, "INBOX");
    const out = new Set<string>();
    for (const m of await messagesOfMailbox(store.read, inbox.id)) {
      const raw = Buffer.from((await contentRaw(store.read, m.contentId))!).toString("latin1");
      const subject = /^Subject: (.*)$/m.exec(raw)?.[1];
      if (subject) out.add(subject.trim());
    }
    return out;
  } finally {
    await store.close();
  }
}
