/**
 * Hanging up on a client that is still sending (a command line or literal over its limit, a
 * decompression bomb): our last words (a BYE) go out and our side is ended, then whatever the client
 * still sends is read and dropped, within a time and a byte bound, until it ends its side too.
 * Closing a socket with unread bytes in its receive buffer makes the kernel answer with a reset,
 * and a reset can destroy the BYE before the client has read it (a flaky test showed it one run in
 * five). HTTP servers do the same for the same reason ("lingering close", RFC 9112 §9.6).
 */
import type { Socket } from "node:net";

/**
 * How long, and how many bytes, a hung-up connection is drained before it is destroyed: enough for
 * what a client has in flight when it meets a limit; a client sending more gets the reset it asks for
 * (reading megabytes only to drop them costs memory, test/abuse/memory.test.ts).
 */
export const LINGER_LIMITS = { ms: 2_000, bytes: 64 * 1024 };

/** Ends `socket` through `end()` (which flushes and ends our side), draining its input meanwhile. */
export function lingeringClose(socket: Socket, end: () => void, limits = LINGER_LIMITS): void {
  let dropped = 0;
  const done = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  socket.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limits.bytes) done();
  });
  socket.once("end", done);
  socket.once("close", () => clearTimeout(timer));
  const timer = setTimeout(done, limits.ms);
  timer.unref?.();
  socket.resume();
  end();
}
