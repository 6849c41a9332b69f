/** STAT (RFC 1939 §5): count and total octets of the messages not marked as deleted. */
import { listed } from "../message-numbers.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { Session, TransactionState } from "../session.ts";

export function stat(_session: Session, state: TransactionState): Reply {
  const messages = listed(state);
  // RFC 1939 §5: exactly "+OK nn mm"; clients parse it, so no text after the numbers.
  return reply.ok(`${messages.length} ${messages.reduce((sum, m) => sum + m.message.size, 0)}`);
}
