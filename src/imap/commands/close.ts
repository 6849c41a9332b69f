/**
 * Leaving the selected mailbox: CLOSE expunges \Deleted messages silently (RFC 3501 §6.4.2) unless
 * read-only; UNSELECT (RFC 3691) never expunges. CHECK (§6.4.1) has nothing to do: every write is
 * already durable when acknowledged.
 */
import { messagesDeletedUids, messagesExpunge } from "../../store/mod.ts";
import type { SelectedCommand } from "./handler.ts";

export async function close({ ctx, state, session, parser }: SelectedCommand): Promise<string> {
  parser.end();
  const { mailbox } = state;
  if (!mailbox.info.readOnly) {
    // Read and remove in one transaction, so a \Deleted set by another session meanwhile is not missed.
    await ctx.store.write(async (w) => {
      const deleted = await messagesDeletedUids(w.tx, mailbox.info.id);
      await messagesExpunge(w, { id: mailbox.info.id, accountId: mailbox.info.accountId }, deleted);
    });
  }
  session.deselect();
  return "CLOSE completed";
}

export async function unselect({ session, parser }: SelectedCommand): Promise<string> {
  parser.end();
  session.deselect();
  return "UNSELECT completed";
}

export async function check({ parser }: SelectedCommand): Promise<string> {
  parser.end();
  return "CHECK completed";
}
