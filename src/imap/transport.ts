/**
 * The bytes under one IMAP session: the socket (plain, then TLS after STARTTLS, RFC 3501 §6.2.1),
 * the deflate layer after COMPRESS (net/deflate.ts, RFC 4978 §3) and the gathered writes
 * (output.ts). The session (session.ts) decides what is said and when; this decides how it reaches
 * the wire, swaps the layers right after the tagged OK that asked for them, and ends the connection.
 */
import type { Socket } from "node:net";
import type { Logger } from "../log.ts";
import { DeflateChannel } from "../net/deflate.ts";
import { lingeringClose } from "../net/linger.ts";
import { type TlsProvider, upgradeToTls } from "../tls/mod.ts";
import { Output } from "./output.ts";
import type { Piece } from "./protocol/encode.ts";
import type { CommandReader } from "./protocol/reader.ts";

/** What the session hears from the socket, whichever socket it is at the time. */
export interface TransportEvents {
  onClose(): void;
  onTimeout(): void;
}

/** What the STARTTLS handshake needs besides the socket (and where a swap of layers is logged). */
export interface TlsUpgrade {
  tls: TlsProvider;
  handshakeTimeoutMs: number | undefined;
  log: Logger;
  fields: Record<string, unknown>;
}

export class Transport {
  /** The plain socket, then the TLS socket after STARTTLS. */
  socket: Socket;
  /** Whether the connection is encrypted (implicit TLS, or after STARTTLS). */
  secure: boolean;
  /** What goes to the socket (or the deflater): a command's responses in one write (output.ts). */
  readonly #output: Output;
  readonly #events: TransportEvents;
  #tlsRequested = false;
  #compressionRequested = false;
  /** After COMPRESS DEFLATE: every byte both ways goes through it. */
  #deflate: DeflateChannel | undefined;
  /** The inactivity timeout last set, and on which socket (setTimeout()). */
  #timeoutMs = 0;
  #timeoutSocket: Socket | undefined;

  constructor(socket: Socket, secure: boolean, events: TransportEvents) {
    this.socket = socket;
    this.secure = secure;
    this.#output = new Output(socket);
    this.#events = events;
    this.#listen(socket);
  }

  readonly #onClose = (): void => this.#events.onClose();
  readonly #onError = (): void => {};
  // One listener for the life of the socket; setTimeout() only moves the deadline.
  readonly #onTimeout = (): void => this.#events.onTimeout();

  #listen(socket: Socket): void {
    socket.on("close", this.#onClose);
    socket.on("error", this.#onError);
    socket.on("timeout", this.#onTimeout);
  }

  /** Before STARTTLS: the plain socket's deadline no longer applies. Its "close" stays heard. */
  #unlisten(socket: Socket): void {
    socket.off("timeout", this.#onTimeout);
  }

  /** COMPRESS is on (TLS may no longer start under it, RFC 4978 §3). */
  get deflating(): boolean {
    return this.#deflate !== undefined;
  }

  /** COMPRESS is on, or starts after this command's tagged OK. */
  get compressed(): boolean {
    return this.#deflate !== undefined || this.#compressionRequested;
  }

  /** STARTTLS: the handshake starts right after the tagged OK is written. */
  requestTls(): void {
    this.#tlsRequested = true;
  }

  /** COMPRESS: the deflate layer starts right after the tagged OK is written (RFC 4978 §3). */
  requestCompression(): void {
    this.#compressionRequested = true;
  }

  /** Queues one response line (output.ts). False when the socket's buffer is full: await drain(). */
  line(pieces: readonly Piece[]): boolean {
    return this.#output.line(pieces);
  }

  /** Writes what is gathered now. */
  flush(): void {
    this.#output.flush();
  }

  /** Waits until the socket can take more (backpressure for big FETCH responses). */
  drain(): Promise<void> {
    return this.#output.drain();
  }

  /**
   * Sets the inactivity timer. The socket restarts it on every read and write itself, so it is set
   * again only when it changes (or the socket does, after STARTTLS): per command it cost a timer
   * reschedule for nothing.
   */
  setTimeout(ms: number): void {
    if (ms === this.#timeoutMs && this.socket === this.#timeoutSocket) return;
    this.#timeoutMs = ms;
    this.#timeoutSocket = this.socket;
    this.socket.setTimeout(ms);
  }

  /**
   * After a tagged OK: the layer it asked for starts now. False when the TLS handshake failed (the
   * connection is then of no further use).
   */
  async afterOk(reader: CommandReader, tls: () => TlsUpgrade): Promise<boolean> {
    if (this.#tlsRequested && !(await this.#startTls(reader, tls()))) return false;
    if (this.#compressionRequested) this.#startCompression(reader, tls());
    return true;
  }

  /**
   * RFC 3501 §6.2.1: after "OK Begin TLS negotiation now" the next bytes are the client's handshake.
   * Whatever the reader holds beyond the STARTTLS line came in the clear and is dropped unread.
   * The synchronous part (detach, wrap) runs in the same turn as the OK's write, so no byte of the
   * handshake can reach the plain-text reader.
   */
  async #startTls(reader: CommandReader, upgrade: TlsUpgrade): Promise<boolean> {
    this.#tlsRequested = false;
    // The tagged OK goes out in the clear, before the handshake.
    this.#output.flush();
    const plain = this.socket;
    const dropped = reader.detach();
    this.#unlisten(plain);
    const secure = await upgradeToTls(plain, upgrade.tls, {
      protocol: "imap",
      command: "starttls",
      dropped,
      handshakeTimeoutMs: upgrade.handshakeTimeoutMs,
      log: upgrade.log,
      fields: upgrade.fields,
    });
    if (!secure) return false;
    this.socket = secure;
    this.#output.socket = secure;
    this.secure = true;
    this.#listen(secure);
    reader.attach(secure);
    return true;
  }

  /**
   * RFC 4978 §3: compression starts right after the CRLF of the tagged OK, both ways. Whatever the
   * reader holds beyond the COMPRESS line is already compressed and goes through the inflater.
   */
  #startCompression(reader: CommandReader, { log, fields }: TlsUpgrade): void {
    this.#compressionRequested = false;
    const buffered = reader.handOver();
    this.#deflate = new DeflateChannel(this.socket, buffered);
    // From here on every response goes through the deflater (the tagged OK went out in the clear).
    this.#output.socket = this.#deflate;
    reader.attach(this.#deflate);
    log.debug("imap.compress", { ...fields, algorithm: "DEFLATE" });
  }

  /** Ends the connection after what is gathered (the deflater's end first, when there is one). */
  end(): void {
    this.#output.flush();
    if (this.#deflate) this.#deflate.end();
    else this.socket.end();
    // A client that never reads would keep the socket half-open forever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  /**
   * For a client whose stream can no longer be read as commands (a line or literal too large):
   * nothing more is understood from it; our last words are flushed and our side ended. With
   * `linger`, what it still sends is dropped until it closes (net/linger.ts: a reset could lose the
   * BYE); without, it is not even read, and the socket goes once our last words are out.
   */
  hangUp(reader: CommandReader, options: { linger: boolean }): void {
    this.#output.flush();
    reader.detach();
    const deflate = this.#deflate;
    const end = (done?: () => void) => (deflate ? deflate.end(done) : this.socket.end(done));
    if (options.linger) {
      deflate?.dropInput();
      lingeringClose(this.socket, () => end());
      return;
    }
    this.socket.pause();
    end(() => this.socket.destroy());
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  /** The connection is gone: what is still gathered is dropped. */
  closed(): void {
    this.#output.close();
  }
}
