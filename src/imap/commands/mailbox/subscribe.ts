/**
 * SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6-7) on the account's subscription list, which holds names
 * rather than mailboxes (store/subscriptions.ts). SUBSCRIBE checks that the mailbox exists, as
 * §6.3.6 allows (NO [NONEXISTENT] otherwise); UNSUBSCRIBE takes any subscribed name, so that the
 * name of a deleted mailbox can still be removed, and says NO only to a name that is neither
 * subscribed nor a mailbox.
 */
import {
  mailboxFind,
  mailboxNameNormalize,
  subscriptionAdd,
  subscriptionRemove,
} from "../../../store/mod.ts";
import { ImapNo } from "../../errors.ts";
import type { AuthenticatedCommand } from "../handler.ts";

export async function subscribe({ ctx, state, parser }: AuthenticatedCommand): Promise<string> {
  const { account } = state;
  parser.sp();
  const name = parser.mailbox();
  parser.end();
  await ctx.store.write(async (w) => {
    const mailbox = await mailboxFind(w.tx, account.id, name);
    if (!mailbox) throw new ImapNo("NONEXISTENT", `Mailbox ${name} does not exist`);
    await subscriptionAdd(w, account.id, mailbox.name);
  });
  return "SUBSCRIBE completed";
}

export async function unsubscribe({ ctx, state, parser }: AuthenticatedCommand): Promise<string> {
  const { account } = state;
  parser.sp();
  const name = parser.mailbox();
  parser.end();
  // An invalid name is NO [CANNOT] (the store's "invalid"): it can be neither subscribed nor a mailbox.
  const normalized = mailboxNameNormalize(name);
  await ctx.store.write(async (w) => {
    const removed = await subscriptionRemove(w, account.id, normalized);
    if (!removed && !(await mailboxFind(w.tx, account.id, normalized)))
      throw new ImapNo("NONEXISTENT", `${name} is not subscribed`);
  });
  return "UNSUBSCRIBE completed";
}
