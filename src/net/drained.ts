import type { EventEmitter } from "node:events";

/** What drained() needs of a socket (a net/tls socket, or the IMAP transport's sink). */
export type Drainable = EventEmitter & { readonly writableNeedDrain: boolean; readonly destroyed: boolean };

/**
 * Resolves once `socket` can take more writes (its buffer drained) or is gone: how a session
 * stops producing replies for a client that does not read, so its buffer stays bounded.
 */
export function drained(socket: Drainable): Promise<void> {
  if (!socket.writableNeedDrain || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.once("drain", done);
    socket.once("close", done);
  });
}
