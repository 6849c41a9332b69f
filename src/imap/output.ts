/**
 * What an IMAP session sends, gathered and handed to the socket in as few writes as possible. A write
 * to a loopback or LAN socket costs a system call that also runs the receiver's side of TCP: it was
 * the largest single cost of a one-message FETCH (bench/README.md), which used to make two (the
 * FETCH response, then the tagged OK). Now the responses of a command go out in one write when the
 * command ends (`flush()`); anything written outside a command (the greeting, a continuation request,
 * IDLE's updates) at the end of the event-loop turn it was written in, so nothing waits longer than that.
 *
 * Bounded: past `CHUNK_BYTES` gathered, they are written at once and `write()` reports the socket's
 * backpressure, so a large FETCH streams as before. Large message literals are handed over as they
 * are, uncopied; small pieces are copied once into the buffer of their write.
 */

import { Buffer } from "node:buffer";
import type { EventEmitter } from "node:events";
import { drained } from "../net/drained.ts";
import type { Piece } from "./protocol/encode.ts";

/** Bytes gathered before writing without waiting for the end of the command (as the FETCH writer's chunk). */
const CHUNK_BYTES = 64 * 1024;
/** A piece at least this large is written on its own rather than copied into a bigger write. */
const LARGE_PIECE_BYTES = 16 * 1024;

/** Where the bytes go: a socket, or the deflate layer in front of it after COMPRESS (net/deflate.ts). */
export type OutputSink = EventEmitter & {
  write(bytes: Uint8Array): boolean;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
};

export class Output {
  /** The plain socket, then the TLS socket after STARTTLS, then the deflater after COMPRESS. */
  socket: OutputSink;
  #parts: Buffer[] = [];
  /** Text written since the last Buffer piece, joined before it becomes a part. */
  #text = "";
  #bytes = 0;
  #scheduled = false;
  #closed = false;

  constructor(socket: OutputSink) {
    this.socket = socket;
  }

  /** Queues one response line (CRLF added). False when the socket's buffer is full: await drain(). */
  line(pieces: readonly Piece[]): boolean {
    if (this.#closed || this.socket.destroyed) return true;
    for (const piece of pieces) {
      if (typeof piece === "string") {
        this.#text += piece;
        // UTF-16 units: the exact octet count is not needed for a threshold.
        this.#bytes += piece.length;
      } else {
        this.#endText();
        this.#parts.push(piece);
        this.#bytes += piece.length;
      }
    }
    this.#text += "\r\n";
    this.#bytes += 2;
    if (this.#bytes >= CHUNK_BYTES) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushLater);
    }
    return !this.socket.writableNeedDrain;
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  #endText(): void {
    if (this.#text.length === 0) return;
    this.#parts.push(Buffer.from(this.#text, "utf8"));
    this.#text = "";
  }

  /** Writes what is gathered now. Returns false when the socket's buffer is full. */
  flush(): boolean {
    this.#endText();
    const parts = this.#parts;
    const socket = this.socket;
    if (parts.length === 0 || this.#closed || socket.destroyed) {
      this.#parts = [];
      this.#bytes = 0;
      return !socket.writableNeedDrain;
    }
    this.#parts = [];
    this.#bytes = 0;
    if (parts.length === 1) return socket.write(parts[0]!);
    // Runs of small pieces: copied once into one write. A large piece (a message's bytes) goes as it
    // is, uncopied: next to its bytes, one more system call is worth little.
    let ok = true;
    let run: Buffer[] = [];
    for (const part of parts) {
      if (part.length < LARGE_PIECE_BYTES) {
        run.push(part);
        continue;
      }
      if (run.length > 0) ok = socket.write(Buffer.concat(run)) && ok;
      run = [];
      ok = socket.write(part) && ok;
    }
    if (run.length > 0) ok = socket.write(run.length === 1 ? run[0]! : Buffer.concat(run)) && ok;
    return ok;
  }

  /** Flushes, then waits until the socket can take more (or is gone). */
  drain(): Promise<void> {
    this.flush();
    return drained(this.socket);
  }

  /** The connection is gone: what is still gathered is dropped. */
  close(): void {
    this.#closed = true;
    this.#parts = [];
    this.#text = "";
    this.#bytes = 0;
  }
}
