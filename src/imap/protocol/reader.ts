/**
 * Turns the bytes a client sends into whole commands: lines, and literals (RFC 3501 §4.3, RFC 7888
 * LITERAL+) taken only after the session admitted them: the command may run in this state, the size
 * is within its limits and there is room in memory. All of that is decided before the "+" goes out
 * (and before any byte of a non-synchronizing literal is read): a refused synchronizing literal is
 * never sent, a refused non-synchronizing one is skipped (or the connection closed). A literal is read into a buffer, or streamed to a sink (a spool file) when the session
 * says so. The session asks for the next command (or, inside AUTHENTICATE and IDLE, the next line)
 * and awaits it; bytes a pipelining client sends ahead are kept, up to a bound, after which the
 * socket is paused. For STARTTLS the reader moves to the TLS socket and drops what it had buffered
 * (`detach()`, `attach()`).
 */
import type { Socket } from "node:net";
import { IMAP_LIMITS } from "./limits.ts";

/** Where a literal's bytes go instead of memory (APPEND message data); store/spool.ts's Spool is one. */
export interface LiteralSink {
  readonly size: number;
  /** Returns a promise when the caller should wait before writing more. */
  write(chunk: Uint8Array): Promise<void> | undefined;
  finish(): Promise<void>;
  discard(): Promise<void>;
}

export type Segment = string | Buffer | LiteralSink;

/** A command as received: its tag, its name (upper-case; "UID FETCH" for UID commands) and its text and literals. */
export interface RawCommand {
  tag: string;
  name: string;
  /**
   * Alternating text (string) and literals: bytes (Buffer) or, for a literal the session had
   * streamed out of memory, its sink. Text keeps the "{n}" announcements removed.
   */
  segments: Segment[];
  /** Gives back what the command's literals hold (memory leases, spool files): call when it is done. */
  release?: () => void;
}

/** The client broke a limit, or the session refused a literal; `tag` is known when the command line got that far. */
export class ReadError extends Error {
  constructor(
    readonly kind: "line-too-long" | "literal-too-big" | "command-too-big" | "refused" | "closed",
    readonly tag: string | undefined,
    readonly commandName: string | undefined,
    /** Whether the connection can go on (the offending bytes were skipped, or never sent) or must be closed. */
    readonly recoverable: boolean,
    /** For "refused": the tagged answer the session chose ("BAD ...", "NO [LIMIT] ..."). */
    readonly answer?: string,
  ) {
    super(kind);
  }
}

/** What the session decides about a literal within the size limits, before "+" is sent. */
export type LiteralAdmission =
  /** Read it into memory; `release` (if any) when the command is done. */
  | { kind: "memory"; release?: () => void }
  /** Stream it to `sink`; the sink is discarded when the command is done (or reading fails). */
  | { kind: "sink"; sink: LiteralSink; release?: () => void }
  /** Do not take it; answer with `answer` (e.g. "NO [LIMIT] ..."). */
  | { kind: "refuse"; answer: string };

export interface LiteralRequest {
  tag: string;
  commandName: string;
  size: number;
  /** "{n+}" (RFC 7888): its bytes follow without waiting for "+". */
  nonSynchronizing: boolean;
}

export interface ReaderOptions {
  /** Largest literal this command may carry (APPEND: the message size limit). */
  literalLimit(commandName: string): number;
  /** Tells the client to send a synchronizing literal ("+ Ready for literal data"). */
  sendContinuation(): void;
  /** Largest command (lines and literals); max(literalLimit, IMAP_LIMITS.maxCommandBytes) when absent. */
  commandLimit?(commandName: string): number;
  /**
   * Asked at a command's first literal: the tagged answer refusing the command outright (unknown,
   * or not allowed in this state), or undefined. Refused, its literals are never asked for.
   */
  refuseCommand?(commandName: string, tag: string): string | undefined;
  /** Asked for each literal within the limits; every literal is read into memory when absent. */
  admitLiteral?(request: LiteralRequest): LiteralAdmission;
  /**
   * Most bytes of a refused non-synchronizing literal read and thrown away so that the session can
   * go on; a larger one closes the connection instead (before login nothing big is worth reading).
   * No limit when absent.
   */
  skipLimit?(): number;
  /** Bytes kept ahead of the command being run before the socket is paused; IMAP_LIMITS.maxPendingBytes when absent. */
  maxPendingBytes?(): number;
}

const LITERAL_AT_END = /\{(\d{1,20})(\+?)\}$/;

export class CommandReader {
  #socket: Socket;
  readonly #options: ReaderOptions;
  #chunks: Buffer[] = [];
  #length = 0;
  #closed = false;
  #paused = false;
  /** While a literal streams to a sink: read ahead of the sink only this far. */
  #streaming = false;
  #waiter: (() => void) | undefined;

  constructor(socket: Socket, options: ReaderOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#listen(socket);
  }

  #pendingLimit(): number {
    const limit = this.#options.maxPendingBytes?.() ?? IMAP_LIMITS.maxPendingBytes;
    return this.#streaming ? Math.min(limit, IMAP_LIMITS.literalReadAheadBytes) : limit;
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    if (this.#length > this.#pendingLimit() && !this.#paused) {
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

  /** Removes and returns up to `max` bytes from the first buffered chunk (no concatenation). */
  #takeSome(max: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length <= max) {
      this.#chunks.shift();
      this.#length -= first.length;
      return first;
    }
    this.#chunks[0] = first.subarray(max);
    this.#length -= max;
    return first.subarray(0, max);
  }

  /** Streams n bytes to `sink` as they come, reading ahead of it only a little (#pendingLimit). */
  async #readInto(sink: LiteralSink, n: number): Promise<void> {
    this.#streaming = true;
    try {
      let left = n;
      while (left > 0) {
        while (this.#length === 0) await this.#more();
        const bytes = this.#takeSome(left);
        left -= bytes.length;
        const full = sink.write(bytes);
        if (full) await full;
      }
      await sink.finish();
    } finally {
      this.#streaming = false;
    }
  }

  async #skipBytes(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      while (this.#length === 0) await this.#more();
      left -= this.#takeSome(left).length;
    }
  }

  /** Reads one whole command, with its literals. */
  async readCommand(): Promise<RawCommand> {
    const segments: Segment[] = [];
    /** What the literals read so far hold, given back by `release()` or when reading fails. */
    const held: Array<() => void> = [];
    const release = () => {
      for (const give of held.splice(0)) give();
    };
    let tag: string | undefined;
    let name: string | undefined;
    let total = 0;
    try {
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
          const done = { tag, name: name ?? "", segments };
          return held.length > 0 ? { ...done, release } : done;
        }
        segments.push(line.slice(0, literal.index));
        const size = Number(literal[1]);
        const nonSynchronizing = literal[2] === "+";
        const command = name ?? "";
        total += size;
        // In this order, before any byte of the literal is read or asked for: may the command run
        // at all, is the literal within its limits, is there room for it.
        const refusal = segments.length === 1 ? this.#options.refuseCommand?.(command, tag) : undefined;
        if (refusal !== undefined)
          throw await this.#refuse(nonSynchronizing, size, "refused", tag, command, refusal);
        const limit = this.#options.literalLimit(command);
        const commandLimit =
          this.#options.commandLimit?.(command) ?? Math.max(limit, IMAP_LIMITS.maxCommandBytes);
        const tooBig =
          size > limit ? "literal-too-big" : total > commandLimit ? "command-too-big" : undefined;
        if (tooBig) throw await this.#refuse(nonSynchronizing, size, tooBig, tag, command);
        const admission = this.#options.admitLiteral?.({
          tag,
          commandName: command,
          size,
          nonSynchronizing,
        }) ?? {
          kind: "memory" as const,
        };
        if (admission.kind === "refuse")
          throw await this.#refuse(nonSynchronizing, size, "refused", tag, command, admission.answer);
        if (admission.release) held.push(admission.release);
        if (admission.kind === "sink") held.push(() => void admission.sink.discard());
        if (!nonSynchronizing) this.#options.sendContinuation();
        if (admission.kind === "sink") {
          await this.#readInto(admission.sink, size);
          segments.push(admission.sink);
        } else {
          segments.push(await this.#readBytes(size));
        }
      }
    } catch (error) {
      release();
      throw error;
    }
  }

  /**
   * The ReadError for a literal we will not take. A synchronizing one was never sent: the client
   * waits for our tagged answer. A non-synchronizing one is on its way (RFC 7888 §4): its bytes and
   * the rest of the command are skipped, unless it is larger than the skip limit, when the
   * connection has to close instead.
   */
  async #refuse(
    nonSynchronizing: boolean,
    size: number,
    kind: "literal-too-big" | "command-too-big" | "refused",
    tag: string,
    command: string,
    answer?: string,
  ): Promise<ReadError> {
    if (!nonSynchronizing) return new ReadError(kind, tag, command, true, answer);
    if (size > (this.#options.skipLimit?.() ?? Number.POSITIVE_INFINITY))
      return new ReadError(kind, tag, command, false, answer);
    await this.#skipBytes(size);
    await this.#skipRestOfCommand();
    return new ReadError(kind, tag, command, true, answer);
  }

  /** After a refused non-synchronizing literal: drop lines (and their literals) up to the command's end. */
  async #skipRestOfCommand(): Promise<void> {
    const limit = this.#options.skipLimit?.() ?? Number.POSITIVE_INFINITY;
    for (;;) {
      const line = await this.readLine();
      const literal = LITERAL_AT_END.exec(line);
      if (!literal) return;
      if (literal[2] !== "+") return; // a synchronizing one will not come without our "+"
      const size = Number(literal[1]);
      if (size > limit) throw new ReadError("literal-too-big", undefined, undefined, false);
      await this.#skipBytes(size);
    }
  }
}
