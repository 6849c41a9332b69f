/**
 * Turns the bytes a client sends into whole commands: lines, and literals (RFC 3501 §4.3, RFC 7888
 * LITERAL+) streamed into a buffer only after their size was checked against a limit. The session
 * asks for the next command (or, inside AUTHENTICATE and IDLE, the next line) and awaits it; bytes a
 * pipelining client sends ahead are kept, up to a bound, after which the socket is paused. For
 * STARTTLS the reader moves to the TLS socket and drops what it had buffered (`detach()`, `attach()`).
 */
import type { Socket } from "node:net";
import { IMAP_LIMITS } from "./limits.ts";

export type Segment = string | Buffer;

/** A command as received: its tag, its name (upper-case; "UID FETCH" for UID commands) and its text and literals. */
export interface RawCommand {
  tag: string;
  name: string;
  /** Alternating text (string) and literal bytes (Buffer); text keeps the "{n}" announcements removed. */
  segments: Segment[];
}

/** The client broke a limit; `tag` is known when the command line got that far. */
export class ReadError extends Error {
  constructor(
    readonly kind: "line-too-long" | "literal-too-big" | "command-too-big" | "closed",
    readonly tag: string | undefined,
    readonly commandName: string | undefined,
    /** Whether the connection can go on (the offending bytes were skipped) or must be closed. */
    readonly recoverable: boolean,
  ) {
    super(kind);
  }
}

export interface ReaderOptions {
  /** Largest literal this command may carry (APPEND: the message size limit). */
  literalLimit(commandName: string): number;
  /** Tells the client to send a synchronizing literal ("+ Ready for literal data"). */
  sendContinuation(): void;
}

const LITERAL_AT_END = /\{(\d{1,20})(\+?)\}$/;

export class CommandReader {
  #socket: Socket;
  readonly #options: ReaderOptions;
  #chunks: Buffer[] = [];
  #length = 0;
  #closed = false;
  #paused = false;
  #waiter: (() => void) | undefined;

  constructor(socket: Socket, options: ReaderOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#listen(socket);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    if (this.#length > IMAP_LIMITS.maxPendingBytes && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
    this.#wake();
  };

  readonly #onClose = (): void => {
    this.#closed = true;
    this.#wake();
  };

  #listen(socket: Socket): void {
    socket.on("data", this.#onData);
    socket.on("close", this.#onClose);
  }

  /**
   * Stops reading `socket` and discards every byte received but not yet taken as a command: after
   * STARTTLS those bytes arrived in the clear and must not run as commands once TLS is up
   * (RFC 2595 §3.1, CVE-2011-0411). Returns how many bytes were dropped. Call `attach()` next.
   */
  detach(): number {
    this.#socket.off("data", this.#onData);
    this.#socket.off("close", this.#onClose);
    const dropped = this.#length;
    this.#chunks = [];
    this.#length = 0;
    this.#paused = false;
    return dropped;
  }

  /** Reads from `socket` (the TLS socket after STARTTLS) from now on. */
  attach(socket: Socket): void {
    this.#socket = socket;
    if (socket.destroyed) this.#closed = true;
    this.#listen(socket);
    socket.resume();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  async #more(): Promise<void> {
    if (this.#closed) throw new ReadError("closed", undefined, undefined, false);
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
    await new Promise<void>((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** Removes and returns the first n buffered bytes (n <= #length). */
  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    let first = this.#chunks[0]!;
    if (first.length < n) {
      first = Buffer.concat(this.#chunks, this.#length);
      this.#chunks = [first];
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#length -= n;
    return out;
  }

  /** Reads one line without its line end (CRLF or a bare LF), refusing lines over the limit. */
  async readLine(context?: { tag?: string; name?: string }): Promise<string> {
    let scanned = 0;
    for (;;) {
      if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
      const buffer = this.#chunks[0];
      const lf = buffer ? buffer.indexOf(0x0a, scanned) : -1;
      if (lf !== -1) {
        const line = this.#take(lf + 1);
        const end = lf > 0 && line[lf - 1] === 0x0d ? lf - 1 : lf;
        return line.toString("utf8", 0, end);
      }
      scanned = this.#length;
      if (this.#length > IMAP_LIMITS.maxLineBytes) {
        throw new ReadError("line-too-long", context?.tag, context?.name, false);
      }
      await this.#more();
    }
  }

  async #readBytes(n: number): Promise<Buffer> {
    while (this.#length < n) await this.#more();
    const bytes = this.#take(n);
    // A subarray of a big chunk would keep the whole chunk alive: copy literals out.
    return Buffer.from(bytes);
  }

  async #skipBytes(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.#length === 0) await this.#more();
      const step = Math.min(left, this.#length);
      this.#take(step);
      left -= step;
    }
  }

  /** Reads one whole command, with its literals. */
  async readCommand(): Promise<RawCommand> {
    const segments: Segment[] = [];
    let tag: string | undefined;
    let name: string | undefined;
    let total = 0;
    for (;;) {
      const line = await this.readLine(tag === undefined ? undefined : { tag, name: name ?? "" });
      total += line.length;
      if (tag === undefined) {
        const head = /^(\S*)(?: +(\S+)(?: +(\S+))?)?/.exec(line)!;
        tag = head[1] ?? "";
        name = (head[2] ?? "").toUpperCase();
        if (name === "UID" && head[3]) name = `UID ${head[3].replace(/\{\d+\+?\}$/, "").toUpperCase()}`;
      }
      const literal = LITERAL_AT_END.exec(line);
      if (!literal) {
        segments.push(line);
        return { tag, name: name ?? "", segments };
      }
      segments.push(line.slice(0, literal.index));
      const size = Number(literal[1]);
      const nonSynchronizing = literal[2] === "+";
      const limit = this.#options.literalLimit(name ?? "");
      total += size;
      const tooBig =
        size > limit
          ? "literal-too-big"
          : total > Math.max(limit, IMAP_LIMITS.maxCommandBytes)
            ? "command-too-big"
            : undefined;
      if (tooBig) {
        if (nonSynchronizing) {
          // The client is already sending it (RFC 7888 §4): skip the bytes and the rest of the command.
          await this.#skipBytes(size);
          await this.#skipRestOfCommand();
        }
        // A synchronizing literal was never sent: the client waits for our tagged answer.
        throw new ReadError(tooBig, tag, name, true);
      }
      if (!nonSynchronizing) this.#options.sendContinuation();
      segments.push(await this.#readBytes(size));
    }
  }

  /** After a refused non-synchronizing literal: drop lines (and their literals) up to the command's end. */
  async #skipRestOfCommand(): Promise<void> {
    for (;;) {
      const line = await this.readLine();
      const literal = LITERAL_AT_END.exec(line);
      if (!literal) return;
      if (literal[2] !== "+") return; // a synchronizing one will not come without our "+"
      await this.#skipBytes(Number(literal[1]));
    }
  }
}
