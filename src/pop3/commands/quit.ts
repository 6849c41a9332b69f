/**
 * QUIT (RFC 1939 §§4, 6). In AUTHORIZATION it just closes. In TRANSACTION it enters UPDATE: the
 * messages marked by DELE are removed in one durable transaction, and the +OK goes out only after it
 * committed, so a client that deletes its copy on +OK can never lose mail.
 */
import { messagesExpunge } from "../../store/mod.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { AuthorizationState, Session, TransactionState } from "../session.ts";

export async function quit(session: Session, state: AuthorizationState | TransactionState): Promise<Reply> {
  const { ctx } = session.shared;
  if (state.kind === "authorization")
    return reply.closing(reply.ok(`${ctx.hostname} POP3 server signing off`));

  session.state = { kind: "update" };
  // A \Seen write still in flight must not race the expunge of the same messages.
  await state.seen.settled();
  const uids = [...state.deleted].map((n) => state.maildrop.messages[n - 1]!.uid);
  if (uids.length > 0) {
    try {
      // Messages another session removed meanwhile are simply not there any more: not an error.
      await ctx.store.write((w) => messagesExpunge(w, state.maildrop.mailbox, uids));
    } catch (error) {
      ctx.log.error("pop3.update_failed", {
        session: session.id,
        account: state.account.address,
        count: uids.length,
        error,
      });
      // RFC 1939 §6: "-ERR some deleted messages not removed"; SYS/TEMP tells the client to retry later.
      return reply.closing(reply.err("some deleted messages not removed, try again later", "SYS/TEMP"));
    }
    ctx.log.info("pop3.update", {
      session: session.id,
      account: state.account.address,
      deleted: uids.length,
    });
  }
  return reply.closing(reply.ok(`${ctx.hostname} POP3 server signing off (${uids.length} messages deleted)`));
}
