/**
 * Building FETCH responses cheaply: adjacent text is merged into one string as it is added (so a
 * response is a handful of pieces, not hundreds), and many responses go to the socket in one write,
 * waiting for the socket to drain when its buffer is full (RFC 3501 puts no bound on a FETCH reply).
 */

import type { CommandSession } from "../commands/handler.ts";
import type { Piece } from "../protocol/encode.ts";

/** Where the responses go: the command's session. */
type Output = Pick<CommandSession, "write" | "drain">;

export class PieceBuilder {
  readonly pieces: Piece[] = [];

  /** Adds text or a literal; text next to text is joined. */
  add(piece: Piece): this {
    const last = this.pieces.length - 1;
    if (typeof piece === "string" && last >= 0 && typeof this.pieces[last] === "string") {
      this.pieces[last] += piece;
    } else {
      this.pieces.push(piece);
    }
    return this;
  }

  addAll(pieces: readonly Piece[]): this {
    for (const p of pieces) this.add(p);
    return this;
  }
}

/** Bytes gathered before one socket write: large enough to amortise the write, small enough to stream. */
const CHUNK_BYTES = 64 * 1024;

/** Untagged responses written in chunks with backpressure. */
export class ResponseWriter {
  readonly #session: Output;
  #pieces: Piece[] = [];
  #bytes = 0;

  constructor(session: Output) {
    this.#session = session;
  }

  /** Queues one untagged response (without "* " and CRLF); writes when a chunk is full. */
  async untagged(pieces: readonly Piece[]): Promise<void> {
    // session.write() ends the chunk with CRLF, so CRLF goes between responses, not after each.
    if (this.#pieces.length > 0) this.#pieces.push("\r\n");
    this.#pieces.push("* ");
    for (const p of pieces) {
      this.#pieces.push(p);
      this.#bytes += p.length;
    }
    if (this.#bytes >= CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#pieces.length === 0) return;
    const pieces = this.#pieces;
    this.#pieces = [];
    this.#bytes = 0;
    if (!this.#session.write(pieces)) await this.#session.drain();
  }
}
