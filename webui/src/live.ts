/**
 * Live updates of an open mailbox without a reload. The server's change feed (GET /api/v1/events,
 * server-sent events) is used when it exists; until then (and if it fails) the wait-for-message long
 * poll of the REST API (issue 16) says when a new message arrived.
 */
import { accountPath } from "./api.ts";

/** Calls `changed` whenever a message may have arrived in `mailbox`; returns a stop function. */
export function watchMailbox(address: string, mailbox: string, changed: () => void): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let since = "latest";
  const poll = async () => {
    let failures = 0;
    while (!stopped) {
      controller = new AbortController();
      const url = `${accountPath(address)}/messages/wait?mailbox=${encodeURIComponent(mailbox)}&since=${since}&timeout=60s`;
      try {
        const res = await fetch(url, { credentials: "same-origin", signal: controller.signal });
        if (res.status === 200) {
          const m = (await res.json()) as { id: number };
          since = String(m.id);
          failures = 0;
          changed();
        } else if (res.status === 408) {
          failures = 0;
        } else {
          failures++;
        }
      } catch {
        if (stopped) return;
        failures++;
      }
      // Back off after errors (server restarting, session gone) instead of spinning.
      if (failures > 0) await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** failures)));
    }
  };
  void poll();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
