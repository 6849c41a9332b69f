/**
 * IDLE (RFC 2177): the client waits for "DONE" while we report mailbox changes as they commit.
 * A keep-alive untagged OK every couple of minutes keeps NAT boxes from dropping the connection.
 */
import { ImapBad } from "../errors.ts";
import { IMAP_LIMITS } from "../protocol/limits.ts";
import type { AuthenticatedCommand } from "./handler.ts";

export async function idle({ ctx, state, session, parser }: AuthenticatedCommand): Promise<string> {
  parser.end();
  session.write(["+ idling"]);
  // Changes that were already pending go out at once.
  await session.flushUpdates(true);
  const mailbox = state.kind === "selected" ? state.mailbox : undefined;
  // A change goes to the socket at once (drain() flushes what is gathered, output.ts), not at the end
  // of the event-loop turn: a delivery reaches a thousand idling clients before the 250 goes out.
  if (mailbox)
    mailbox.onPending = () => {
      void session.flushUpdates(true).then(() => session.drain());
    };
  const keepAlive = setInterval(
    () => session.untagged(["OK Still here"]),
    ctx.timeouts?.keepAliveMs ?? IMAP_LIMITS.idleKeepAliveMs,
  );
  session.idling(true);
  try {
    const line = await session.readLine();
    if (line.toUpperCase() !== "DONE") throw new ImapBad(undefined, "Expected DONE");
  } finally {
    session.idling(false);
    clearInterval(keepAlive);
    if (mailbox) mailbox.onPending = undefined;
  }
  return "IDLE terminated";
}
