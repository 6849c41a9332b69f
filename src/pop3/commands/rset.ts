/** RSET (RFC 1939 §5): unmark every message marked by DELE in this session. */
import { listed } from "../message-numbers.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { Session, TransactionState } from "../session.ts";

export function rset(_session: Session, state: TransactionState): Reply {
  state.deleted.clear();
  const messages = listed(state);
  const octets = messages.reduce((sum, m) => sum + m.message.size, 0);
  return reply.ok(`maildrop has ${messages.length} messages (${octets} octets)`);
}
