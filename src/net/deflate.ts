/**
 * A compression layer over a connection (IMAP COMPRESS=DEFLATE, RFC 4978): raw deflate (RFC 1951,
 * no zlib header) both ways, inside TLS when TLS is on (the socket under it is whatever carries the
 * connection). What the protocol writes is deflated and flushed with Z_SYNC_FLUSH before the event
 * loop turns (RFC 4978 §4: a response must not wait in the compressor for more data); what the
 * client sends is inflated and handed on as "data" events, so the protocol's reader applies its own
 * line, literal and buffer limits to the inflated bytes, as it does to plain ones.
 *
 * A decompression bomb (deflate expands up to ~1032 times) must not get past those limits into
 * memory: the inflater gets the client's bytes in small slices, one at a time, and none while the
 * reader is paused, so at most INFLATE_SLICE_BYTES x 1032 inflated bytes arrive beyond the reader's
 * own bound. The socket is paused while compressed input waits.
 *
 * Cost: zlib's state is about 300 KB per compressed connection at the default settings (deflate
 * 256 KB, inflate 44 KB; the inflater needs the full 32 KB window a client may use), only after
 * login and bounded by the connection slots (IMAP_LIMITS.maxConnections).
 */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from "node:zlib";

/** Compressed bytes handed to the inflater at a time: bounds what one step can inflate to (~1 MB). */
export const INFLATE_SLICE_BYTES = 1024;
/** Compressed bytes kept waiting for the inflater before the socket is paused. */
export const INFLATE_QUEUE_BYTES = 64 * 1024;

/**
 * The connection as the protocol sees it once compression is on: a source of inflated bytes
 * ("data", "close", pause/resume, like a socket) and a sink that deflates (write/end, "drain").
 */
export class DeflateChannel extends EventEmitter {
  readonly #socket: Socket;
  readonly #deflate: DeflateRaw;
  readonly #inflate: InflateRaw;
  /** Compressed bytes received but not yet given to the inflater. */
  #queue: Buffer[] = [];
  #queued = 0;
  /** A slice is in the inflater. */
  #busy = false;
  #paused = false;
  #flushQueued = false;
  #closed = false;

  /** `buffered`: compressed bytes that arrived before the switch (read ahead by the protocol's reader). */
  constructor(socket: Socket, buffered?: Buffer) {
    super();
    this.#socket = socket;
    this.#deflate = createDeflateRaw();
    this.#inflate = createInflateRaw();
    this.#deflate.pipe(socket);
    this.#deflate.on("drain", () => this.emit("drain"));
    this.#inflate.on("data", (chunk: Buffer) => this.emit("data", chunk));
    // Bytes that are not a deflate stream: nothing more can be understood on this connection.
    const fail = () => {
      if (!this.#closed) socket.destroy();
    };
    this.#inflate.on("error", fail);
    this.#deflate.on("error", fail);
    socket.on("data", this.#onData);
    socket.on("close", this.#onClose);
    if (buffered && buffered.length > 0) this.#onData(buffered);
    // The protocol's reader may have paused the socket (read-ahead bound); this layer decides now.
    if (this.#queued <= INFLATE_QUEUE_BYTES) socket.resume();
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > INFLATE_QUEUE_BYTES) this.#socket.pause();
    this.#pump();
  };

  readonly #onClose = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    this.#inflate.destroy();
    this.#deflate.destroy();
    this.emit("close");
  };

  /** Feeds the inflater one slice at a time, while the reader wants more. */
  #pump(): void {
    if (this.#busy || this.#paused || this.#closed || this.#queued === 0) return;
    const first = this.#queue[0]!;
    const slice = first.subarray(0, INFLATE_SLICE_BYTES);
    if (slice.length === first.length) this.#queue.shift();
    else this.#queue[0] = first.subarray(slice.length);
    this.#queued -= slice.length;
    if (this.#queued <= INFLATE_QUEUE_BYTES && !this.#paused) this.#socket.resume();
    this.#busy = true;
    this.#inflate.write(slice, () => {
      this.#busy = false;
      this.#pump();
    });
  }

  get destroyed(): boolean {
    return this.#closed || this.#socket.destroyed;
  }

  /** The reader has enough: no more inflating (and, once the queue fills, no more reading). */
  pause(): this {
    this.#paused = true;
    return this;
  }

  resume(): this {
    this.#paused = false;
    if (this.#queued <= INFLATE_QUEUE_BYTES) this.#socket.resume();
    this.#pump();
    return this;
  }

  /** Deflates `bytes`; the flush follows once the current turn's writes are in. False: await "drain". */
  write(bytes: Uint8Array): boolean {
    if (this.#closed) return true;
    const ok = this.#deflate.write(bytes);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      // RFC 4978 §4: every response reaches the client whole, not held back for the next one.
      queueMicrotask(() => {
        this.#flushQueued = false;
        if (!this.#closed && !this.#deflate.writableEnded) this.#deflate.flush(constants.Z_SYNC_FLUSH);
      });
    }
    return ok;
  }

  get writableNeedDrain(): boolean {
    return this.#deflate.writableNeedDrain;
  }

  /**
   * Nothing more is read through this layer (the connection is being hung up, net/linger.ts): what
   * arrives is no longer queued or inflated, and the socket's own listeners drop it. The deflate side
   * stays, to finish the stream.
   */
  dropInput(): void {
    this.#socket.off("data", this.#onData);
    this.#queue = [];
    this.#queued = 0;
    // Not destroyed here: an inflater destroyed with a slice in it reports an error, and an error
    // destroys the socket (above) before the BYE is out. It goes with the connection (#onClose).
    this.#paused = true;
  }

  /** Finishes the deflate stream; the socket is ended after its last bytes (pipe), then `done`. */
  end(done?: () => void): void {
    if (done) this.#socket.once("finish", done);
    if (this.#closed || this.#deflate.writableEnded) {
      this.#socket.end();
      return;
    }
    this.#deflate.end();
  }
}
