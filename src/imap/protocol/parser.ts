/**
 * A cursor over one received command with methods named after the RFC 3501 §9 grammar. `x()`
 * throws ImapParseError (answered BAD); `tryX()` returns undefined without consuming anything.
 * Pure syntax: knows nothing of the store or the session.
 */
import type { LiteralSink, RawCommand, Segment } from "./reader.ts";
import { parseSequenceSet, type SequenceSet } from "./sequence.ts";
import { utf7Decode } from "./utf7.ts";

export class ImapParseError extends Error {
  override name = "ImapParseError";
}

// RFC 3501 §9: ATOM-CHAR is any CHAR except atom-specials: ( ) { SP CTL % * " \ ]
const ATOM_CHAR = /[^(){ \x00-\x1f\x7f%*"\\\]]/;
const ASTRING_CHAR = /[^(){ \x00-\x1f\x7f%*"\\]/; // atom chars plus "]" (resp-specials)
const LIST_CHAR = /[^(){ \x00-\x1f\x7f"\\]/; // atom chars plus list-wildcards and "]"
// Whole tokens, compiled once: the parser runs them several times per command.
const ATOM = new RegExp(`^${ATOM_CHAR.source}+`);
const ASTRING_ATOM = new RegExp(`^${ASTRING_CHAR.source}+`);
const LIST_ATOM = new RegExp(`^${LIST_CHAR.source}+`);

export interface ParserOptions {
  /**
   * Mailbox names are UTF-8 as sent, never modified UTF-7, and a quoted string must be valid UTF-8
   * (RFC 6855 §3, RFC 9051 §5.1): the session ENABLEd UTF8=ACCEPT or IMAP4rev2.
   */
  utf8?: boolean;
}

export class Parser {
  readonly #segments: Segment[];
  readonly #utf8: boolean;
  #index = 0;
  #pos = 0;

  constructor(command: RawCommand | Segment[], options: ParserOptions = {}) {
    this.#segments = Array.isArray(command) ? command : command.segments;
    this.#utf8 = options.utf8 ?? false;
  }

  /** Text of the current segment from the cursor on ("" when at a literal or the end). */
  get #text(): string {
    const seg = this.#segments[this.#index];
    return typeof seg === "string" ? seg.slice(this.#pos) : "";
  }

  #atLiteral(): boolean {
    this.#skipEmptyText();
    const seg = this.#segments[this.#index];
    return seg !== undefined && typeof seg !== "string";
  }

  #skipEmptyText(): void {
    while (this.#index < this.#segments.length) {
      const seg = this.#segments[this.#index]!;
      if (typeof seg === "string" && this.#pos >= seg.length && this.#index + 1 < this.#segments.length) {
        this.#index++;
        this.#pos = 0;
      } else break;
    }
  }

  atEnd(): boolean {
    this.#skipEmptyText();
    return this.#index >= this.#segments.length - 1 && !this.#atLiteral() && this.#text === "";
  }

  end(): void {
    if (!this.atEnd()) throw new ImapParseError(`unexpected "${this.#text.slice(0, 20)}" at end of command`);
  }

  peek(s: string): boolean {
    if (this.#atLiteral()) return false;
    // Compare only the next s.length characters: upper-casing the whole rest of the line on every
    // peek made a long list (ID, STORE flags, FETCH items) cost time quadratic in the line length.
    const seg = this.#segments[this.#index];
    if (typeof seg !== "string") return false;
    return seg.slice(this.#pos, this.#pos + s.length).toUpperCase() === s.toUpperCase();
  }

  take(s: string): boolean {
    if (!this.peek(s)) return false;
    this.#pos += s.length;
    return true;
  }

  expect(s: string): void {
    if (!this.take(s)) throw new ImapParseError(`expected "${s}"`);
  }

  sp(): void {
    this.expect(" ");
  }

  #match(re: RegExp): string | undefined {
    if (this.#atLiteral()) return undefined;
    const m = re.exec(this.#text);
    if (m?.index !== 0) return undefined;
    this.#pos += m[0].length;
    return m[0];
  }

  tryAtom(): string | undefined {
    return this.#match(ATOM);
  }

  atom(): string {
    const a = this.tryAtom();
    if (a === undefined) throw new ImapParseError("expected an atom");
    return a;
  }

  /** A number (RFC 3501 number: 0..2^32-1). */
  number(): number {
    const n = this.#match(/^\d+/);
    if (n === undefined || n.length > 10 || Number(n) > 0xffffffff)
      throw new ImapParseError("expected a number");
    return Number(n);
  }

  nzNumber(): number {
    const n = this.number();
    if (n === 0) throw new ImapParseError("expected a non-zero number");
    return n;
  }

  /** mod-sequence-value (RFC 7162): up to 2^63-1. */
  modSequence(): number {
    const n = this.#match(/^\d+/);
    if (n === undefined || n.length > 19) throw new ImapParseError("expected a mod-sequence value");
    return Number(n);
  }

  /** quoted / literal, as bytes. */
  tryStringBytes(): Buffer | undefined {
    if (this.#atLiteral()) {
      const lit = this.#segments[this.#index]!;
      // Only an APPEND message is streamed to a spool (see messageLiteral()).
      if (!Buffer.isBuffer(lit)) throw new ImapParseError("literal too large here");
      this.#index++;
      this.#pos = 0;
      return lit;
    }
    if (!this.peek('"')) return undefined;
    const text = this.#text;
    let out = "";
    for (let i = 1; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === "\\") {
        const next = text[i + 1];
        if (next !== "\\" && next !== '"') throw new ImapParseError("bad escape in quoted string");
        out += next;
        i++;
      } else if (ch === '"') {
        // RFC 6855 §3: once UTF-8 is on, octets that are not UTF-8 are BAD (the reader decoded the
        // line as UTF-8, so they stand here as U+FFFD).
        if (this.#utf8 && out.includes("\uFFFD"))
          throw new ImapParseError("quoted string is not valid UTF-8");
        this.#pos += i + 1;
        return Buffer.from(out, "utf8");
      } else {
        out += ch;
      }
    }
    throw new ImapParseError("unterminated quoted string");
  }

  string(): string {
    const b = this.tryStringBytes();
    if (b === undefined) throw new ImapParseError("expected a string");
    return b.toString("utf8");
  }

  /** A literal's raw bytes (APPEND message data). */
  literalBytes(): Buffer {
    if (!this.#atLiteral()) throw new ImapParseError("expected a literal");
    return this.tryStringBytes()!;
  }

  /** APPEND message data: a literal's bytes, or the sink (spool file) the reader streamed a large one to. */
  messageLiteral(): Buffer | LiteralSink {
    if (!this.#atLiteral()) throw new ImapParseError("expected a literal");
    const lit = this.#segments[this.#index]!;
    if (Buffer.isBuffer(lit)) return this.tryStringBytes()!;
    this.#index++;
    this.#pos = 0;
    return lit as LiteralSink;
  }

  astring(): string {
    const b = this.tryStringBytes();
    if (b !== undefined) return b.toString("utf8");
    const a = this.#match(ASTRING_ATOM);
    if (a === undefined) throw new ImapParseError("expected an astring");
    return a;
  }

  nstring(): string | null {
    if (this.take("NIL")) return null;
    return this.string();
  }

  /** A mailbox name (RFC 3501 §5.1.3 modified UTF-7 on the wire); INBOX is case-insensitive. */
  mailbox(): string {
    const raw = this.astring();
    if (raw.toUpperCase() === "INBOX") return "INBOX";
    if (this.#utf8) return raw;
    const decoded = utf7Decode(raw);
    // A name that is not valid modified UTF-7 but is valid UTF-8 is taken as it is (some clients send UTF-8).
    return decoded ?? raw;
  }

  /** list-mailbox (LIST patterns): like astring but "%" and "*" allowed. */
  listMailbox(): string {
    const b = this.tryStringBytes();
    const raw = b !== undefined ? b.toString("utf8") : this.#match(LIST_ATOM);
    if (raw === undefined) throw new ImapParseError("expected a mailbox pattern");
    if (this.#utf8) return raw;
    return utf7Decode(raw) ?? raw;
  }

  sequenceSet(): SequenceSet {
    const text = this.#match(/^[0-9:*,$]+/);
    if (text === undefined) throw new ImapParseError("expected a sequence set");
    if (text === "$") return { ranges: [], saved: true };
    const set = parseSequenceSet(text);
    if (!set) throw new ImapParseError(`bad sequence set "${text}"`);
    return set;
  }

  /** A parenthesised list; `item` parses one element. Empty lists allowed. */
  list<T>(item: () => T): T[] {
    this.expect("(");
    const out: T[] = [];
    if (this.take(")")) return out;
    for (;;) {
      out.push(item());
      if (this.take(")")) return out;
      this.sp();
    }
  }

  /** flag: "\" atom or atom (RFC 3501 flag / flag-keyword); "\*" where allowed. */
  flag(): string {
    if (this.take("\\")) {
      if (this.take("*")) return "\\*";
      return `\\${this.atom()}`;
    }
    return this.atom();
  }

  flagList(): string[] {
    return this.list(() => this.flag());
  }

  /** date-time in quotes: "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 3501 §9). Returns epoch ms. */
  dateTime(): number {
    const text = this.string();
    const m = /^([ \d]\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(text);
    if (!m) throw new ImapParseError(`bad date-time "${text}"`);
    const month = MONTHS.indexOf(m[2]!.toLowerCase());
    if (month < 0) throw new ImapParseError(`bad month in "${text}"`);
    const offset = (Number(m[8]) * 60 + Number(m[9])) * (m[7] === "-" ? -1 : 1);
    const utc = Date.UTC(Number(m[3]), month, Number(m[1]!.trim()), Number(m[4]), Number(m[5]), Number(m[6]));
    return utc - offset * 60_000;
  }

  /** date (RFC 3501 §9): d-Mon-yyyy, optionally quoted. Returns the UTC midnight of that day in ms. */
  date(): number {
    const text = this.peek('"') ? this.string() : this.atom();
    const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
    if (!m) throw new ImapParseError(`bad date "${text}"`);
    const month = MONTHS.indexOf(m[2]!.toLowerCase());
    if (month < 0) throw new ImapParseError(`bad month in "${text}"`);
    return Date.UTC(Number(m[3]), month, Number(m[1]));
  }

  /** Remaining text of the current line segment (for diagnostics). */
  rest(): string {
    return this.#text;
  }
}

export const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
