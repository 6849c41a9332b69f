/**
 * SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6-7). Subscription is a mark on an existing mailbox, so a
 * name that is not a mailbox of this account is NO [NONEXISTENT] (the store's not_found).
 */
import { mailboxSetSubscribed } from "../../../store/mod.ts";
import type { CommandContext } from "../../session.ts";
import { accountOf } from "./names.ts";

async function setSubscribed({ session, parser }: CommandContext, subscribed: boolean): Promise<string> {
  const account = accountOf(session);
  parser.sp();
  const name = parser.mailbox();
  parser.end();
  await session.ctx.store.write((w) => mailboxSetSubscribed(w, account.id, name, subscribed));
  return `${subscribed ? "SUBSCRIBE" : "UNSUBSCRIBE"} completed`;
}

export const subscribe = (ctx: CommandContext) => setSubscribed(ctx, true);
export const unsubscribe = (ctx: CommandContext) => setSubscribed(ctx, false);
