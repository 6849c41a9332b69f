/**
 * POP3 input, bytes to values: splitting the stream into command lines (with the line-length limit)
 * and a line into a keyword and its arguments (RFC 1939 §3, RFC 2449 §4). Knows nothing of sessions
 * or the store.
 */

export type LineResult = { kind: "line"; bytes: Uint8Array } | { kind: "too-long" };

const EMPTY = new Uint8Array(0);

/** Collects socket chunks and hands out one line at a time, so pipelined commands run strictly in order. */
export class LineReader {
  readonly #maxLineLength: number;
  #buffer: Uint8Array = EMPTY;

  constructor(maxLineLength: number) {
    this.#maxLineLength = maxLineLength;
  }

  push(chunk: Uint8Array): void {
    if (this.#buffer.byteLength === 0) {
      this.#buffer = chunk;
      return;
    }
    const joined = new Uint8Array(this.#buffer.byteLength + chunk.byteLength);
    joined.set(this.#buffer, 0);
    joined.set(chunk, this.#buffer.byteLength);
    this.#buffer = joined;
  }

  /** Bytes received and not yet handed out as lines. */
  get pending(): number {
    return this.#buffer.byteLength;
  }

  /** The next complete line without its line end (CRLF, or a lone LF from a sloppy client). */
  next(): LineResult | undefined {
    const buffer = this.#buffer;
    const lf = buffer.indexOf(0x0a);
    if (lf === -1) return buffer.byteLength >= this.#maxLineLength ? { kind: "too-long" } : undefined;
    if (lf + 1 > this.#maxLineLength) return { kind: "too-long" };
    const end = lf > 0 && buffer[lf - 1] === 0x0d ? lf - 1 : lf;
    this.#buffer = lf + 1 === buffer.byteLength ? EMPTY : buffer.subarray(lf + 1);
    return { kind: "line", bytes: buffer.subarray(0, end) };
  }
}

export interface Command {
  /** The keyword in upper case (keywords are case-insensitive, RFC 1939 §3). */
  command: string;
  /** Arguments separated by spaces. */
  args: string[];
  /**
   * Everything after the keyword's space, untouched: PASS takes it whole, because RFC 1939 §7 lets a
   * password contain spaces.
   */
  rest: string;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

export function parseCommand(line: Uint8Array): Command {
  const text = decoder.decode(line);
  const space = text.indexOf(" ");
  const keyword = space === -1 ? text : text.slice(0, space);
  const rest = space === -1 ? "" : text.slice(space + 1);
  return { command: keyword.toUpperCase(), args: rest.split(" ").filter((a) => a !== ""), rest };
}

/**
 * A message number argument (RFC 1939 §3: "msg"), a decimal without sign or leading zero; undefined if
 * it is not one. The range check against the maildrop is the command's job.
 */
export function messageNumber(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^[1-9][0-9]{0,8}$/.test(arg)) return undefined;
  return Number(arg);
}

/** A non-negative line count (TOP's second argument, RFC 1939 §7). */
export function lineCount(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^[0-9]{1,9}$/.test(arg)) return undefined;
  return Number(arg);
}
