/**
 * Leaving the selected mailbox: CLOSE expunges \Deleted messages silently (RFC 3501 §6.4.2) unless
 * read-only; UNSELECT (RFC 3691) never expunges. CHECK (§6.4.1) has nothing to do: every write is
 * already durable when acknowledged.
 */
import { DELETED, messagesExpunge, messagesOfMailbox } from "../../store/mod.ts";
import type { CommandContext } from "../session.ts";

export async function close({ session, parser }: CommandContext): Promise<string> {
  parser.end();
  if (session.state.kind !== "selected") return "CLOSE completed";
  const { mailbox } = session.state;
  if (!mailbox.info.readOnly) {
    const store = session.ctx.store;
    const rows = await messagesOfMailbox(store.read, mailbox.info.id);
    const deleted = rows.filter((m) => m.flags & DELETED).map((m) => m.uid);
    if (deleted.length > 0)
      await store.write((w) =>
        messagesExpunge(w, { id: mailbox.info.id, accountId: mailbox.info.accountId }, deleted),
      );
  }
  session.deselect();
  return "CLOSE completed";
}

export async function unselect({ session, parser }: CommandContext): Promise<string> {
  parser.end();
  session.deselect();
  return "UNSELECT completed";
}

export async function check({ parser }: CommandContext): Promise<string> {
  parser.end();
  return "CHECK completed";
}
