import type { Duplex } from "node:stream";

/**
 * Resolves once `socket` can take more writes (its buffer drained) or is gone: how a session
 * stops producing replies for a client that does not read, so its buffer stays bounded.
 */
export function drained(socket: Duplex): Promise<void> {
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
