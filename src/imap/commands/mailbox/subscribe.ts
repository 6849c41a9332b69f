/**
 * SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6-7). Subscription is a mark on an existing mailbox, so a
 * name that is not a mailbox of this account is NO [NONEXISTENT] (the store's not_found).
 */
import { mailboxSetSubscribed } from "../../../store/mod.ts";
import type { AuthenticatedCommand } from "../handler.ts";

async function setSubscribed(
  { ctx, state, parser }: AuthenticatedCommand,
  subscribed: boolean,
): Promise<string> {
  const { account } = state;
  parser.sp();
  const name = parser.mailbox();
  parser.end();
  await ctx.store.write((w) => mailboxSetSubscribed(w, account.id, name, subscribed));
  return `${subscribed ? "SUBSCRIBE" : "UNSUBSCRIBE"} completed`;
}

export const subscribe = (command: AuthenticatedCommand) => setSubscribed(command, true);
export const unsubscribe = (command: AuthenticatedCommand) => setSubscribed(command, false);
