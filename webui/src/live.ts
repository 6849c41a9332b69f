/**
 * Live updates of an open mailbox without a reload: the server's event stream (GET /api/v1/events,
 * server-sent events, narrowed to the account's message events). EventSource sends the session
 * cookie and reconnects by itself with Last-Event-ID; when the stream reports a gap (events lost
 * while away) the list is simply read again.
 */

/** Calls `changed` whenever a message of `mailbox` arrived, changed or went; returns a stop function. */
export function watchMailbox(address: string, mailbox: string, changed: () => void): () => void {
  const url = `/api/v1/events?account=${encodeURIComponent(address)}&type=message.*`;
  const source = new EventSource(url, { withCredentials: true });
  // A burst of deliveries reads the list once, not once per message.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      changed();
    }, 150);
  };
  const onEvent = (e: MessageEvent<string>) => {
    try {
      const event = JSON.parse(e.data) as { data?: { mailbox?: string | null } };
      const name = event.data?.mailbox;
      // A change whose mailbox name is unknown may concern this one: read again.
      if (name === undefined || name === null || name === mailbox) soon();
    } catch {
      soon();
    }
  };
  for (const type of ["message.received", "message.deleted", "message.flags"]) {
    source.addEventListener(type, onEvent as EventListener);
  }
  source.addEventListener("stream.gap", soon);
  return () => {
    clearTimeout(timer);
    source.close();
  };
}
