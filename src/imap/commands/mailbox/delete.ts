/**
 * DELETE (RFC 3501 §6.3.4). We keep no \Noselect placeholders, so a mailbox with children cannot be
 * deleted (the RFC's alternative would leave its name behind as a non-selectable level).
 */
import { mailboxDelete, mailboxFind, mailboxHasChildren } from "../../../store/mod.ts";
import { ImapNo } from "../../errors.ts";
import type { AuthenticatedCommand } from "../handler.ts";

export async function deleteMailbox({ ctx, state, session, parser }: AuthenticatedCommand): Promise<string> {
  const { account } = state;
  parser.sp();
  const name = parser.mailbox();
  parser.end();
  const deletedId = await ctx.store.write(async (w) => {
    const mailbox = await mailboxFind(w.tx, account.id, name);
    if (!mailbox) throw new ImapNo("NONEXISTENT", `Mailbox ${name} does not exist`);
    // RFC 3501 §6.3.4: it is an error to attempt to delete INBOX.
    if (mailbox.name === "INBOX") throw new ImapNo("CANNOT", "INBOX cannot be deleted");
    // Checked in the same transaction, so a child created meanwhile cannot be orphaned.
    if (await mailboxHasChildren(w.tx, account.id, mailbox.name)) {
      throw new ImapNo("INUSE", `Mailbox ${mailbox.name} has child mailboxes; delete them first`);
    }
    await mailboxDelete(w, account.id, mailbox.name);
    return mailbox.id;
  });
  // Deleting the selected mailbox is not forbidden (RFC 3501 §6.3.4), but nothing is left to be
  // selected: leave the selected state and say so with RFC 7162 §3.2.11's CLOSED code.
  if (state.kind === "selected" && state.mailbox.info.id === deletedId) {
    session.deselect();
    session.untagged(["OK [CLOSED] Mailbox deleted; no mailbox is selected"]);
  }
  return "DELETE completed";
}
