/**
 * RENAME (RFC 3501 §6.3.5): children move with their parent, missing superior levels of the new
 * name are created, and renaming INBOX moves its messages into the new mailbox and leaves INBOX
 * (empty) in place. One write: a failure changes nothing.
 */
import {
  type Mailbox,
  mailboxCreate,
  mailboxFind,
  mailboxNameNormalize,
  mailboxRename,
  messagesMove,
  type Write,
} from "../../../store/mod.ts";
import { ImapNo } from "../../errors.ts";
import type { AuthenticatedCommand } from "../handler.ts";
import { createParents, newMailboxName } from "./names.ts";

export async function rename({ ctx, state, parser }: AuthenticatedCommand): Promise<string> {
  const { account } = state;
  parser.sp();
  const from = parser.mailbox();
  parser.sp();
  const raw = parser.astring();
  parser.end();
  const to = newMailboxName(raw);
  await ctx.store.write(async (w) => {
    const source = await mailboxFind(w.tx, account.id, from);
    if (!source) throw new ImapNo("NONEXISTENT", `Mailbox ${from} does not exist`);
    const target = mailboxNameNormalize(to);
    if (await mailboxFind(w.tx, account.id, target)) {
      throw new ImapNo("ALREADYEXISTS", `Mailbox ${target} already exists`);
    }
    if (source.name !== "INBOX" && target.startsWith(`${source.name}/`)) {
      throw new ImapNo("CANNOT", "A mailbox cannot be renamed into its own hierarchy");
    }
    await createParents(w, account.id, target);
    // RFC 3501 §6.3.5: "RENAME INBOX INBOX/old" is the classic way to archive INBOX; the store's
    // rename refuses a target below the source, so that case moves the messages here.
    if (source.name === "INBOX" && target.startsWith("INBOX/")) await inboxMoveAll(w, source, target);
    else await mailboxRename(w, account.id, source.name, target);
  });
  return "RENAME completed";
}

async function inboxMoveAll(w: Write, inbox: Mailbox, target: string): Promise<void> {
  const created = await mailboxCreate(w, inbox.accountId, target);
  const { rows } = await w.exec({
    sql: "SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid",
    args: [inbox.id],
  });
  const uids = rows.map((row) => Number(row.uid));
  if (uids.length > 0) await messagesMove(w, inbox, uids, created);
}
