/**
 * STATUS (RFC 3501 §6.3.10, HIGHESTMODSEQ from RFC 7162 §3.1.10, SIZE from RFC 8438). Counts come
 * from the indexes (store/mailbox-status.ts); the selected mailbox may be asked about too.
 */
import { mailboxCountsByName } from "../../../store/mod.ts";
import { ImapNo } from "../../errors.ts";
import type { AuthenticatedCommand } from "../handler.ts";
import { countsWanted, statusItems, statusResponse } from "./status-items.ts";

export async function status({ ctx, state, session, parser }: AuthenticatedCommand): Promise<string> {
  const { account } = state;
  parser.sp();
  const name = parser.mailbox();
  parser.sp();
  const items = statusItems(parser);
  parser.end();
  // RFC 7162 §3.1: STATUS (HIGHESTMODSEQ) is a CONDSTORE-enabling command.
  if (items.includes("HIGHESTMODSEQ")) session.enabled.add("CONDSTORE");
  const counts = await mailboxCountsByName(ctx.store.read, account.id, name, countsWanted(items));
  if (!counts) throw new ImapNo("NONEXISTENT", `Mailbox ${name} does not exist`);
  session.untagged(statusResponse(counts, items, { utf8: session.utf8, appendLimit: ctx.maxMessageSize }));
  return "STATUS completed";
}
