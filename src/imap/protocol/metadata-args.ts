/**
 * The arguments of GETMETADATA and SETMETADATA (RFC 5464 §4.2-4.3, grammar in §5): entry names,
 * GETMETADATA's options, SETMETADATA's entry-value list. Entry names are case-insensitive (§3.2) and
 * come back lower-case.
 */
import { type Piece, str } from "./encode.ts";
import { IMAP_LIMITS } from "./limits.ts";
import { ImapParseError, type Parser } from "./parser.ts";

export interface GetMetadataArgs {
  mailbox: string;
  entries: string[];
  /** MAXSIZE (§4.2.1): larger values are left out; undefined when not given. */
  maxSize: number | undefined;
  /** DEPTH (§4.2.2); 0 when not given. */
  depth: 0 | 1 | "infinity";
}

export interface SetMetadataArgs {
  mailbox: string;
  /** A null value removes the entry (§4.3). */
  entries: Array<{ name: string; value: Buffer | null }>;
}

/**
 * RFC 5464 §3.2: "/private" or "/shared" and then slash-separated components; no "*" or "%", no
 * control characters, no "//", no trailing "/". Returns the name lower-cased.
 */
export function metadataEntryName(raw: string): string {
  if (Buffer.byteLength(raw) > IMAP_LIMITS.maxMetadataEntryNameBytes)
    throw new ImapParseError(`entry names have at most ${IMAP_LIMITS.maxMetadataEntryNameBytes} octets`);
  const name = raw.toLowerCase();
  if (!/^\/(private|shared)(\/[^/]+)*$/.test(name))
    throw new ImapParseError("entry names start with /private or /shared, with no empty component");
  if (/[*%\x00-\x19\x7f]/.test(name))
    throw new ImapParseError("entry names have no *, % or control characters");
  return name;
}

/** An entry name for the wire: an atom when it is one (they usually are: "/private/comment"), else quoted. */
export function entryName(name: string): Piece {
  return /^[^(){ \x00-\x1f\x7f%*"\\\]\x80-\uffff]+$/.test(name) ? name : str(name);
}

function entry(parser: Parser): string {
  return metadataEntryName(parser.astring());
}

/** entries = entry / "(" entry *(SP entry) ")" */
function entries(parser: Parser): string[] {
  if (!parser.take("(")) return [entry(parser)];
  const out = [entry(parser)];
  while (parser.take(" ")) out.push(entry(parser));
  parser.expect(")");
  return out;
}

/** getmetadata = "GETMETADATA" [SP getmetadata-options] SP mailbox SP entries */
export function getMetadataArgs(parser: Parser): GetMetadataArgs {
  parser.sp();
  let maxSize: number | undefined;
  let depth: GetMetadataArgs["depth"] = 0;
  if (parser.take("(")) {
    do {
      const option = parser.atom().toUpperCase();
      parser.sp();
      if (option === "MAXSIZE") maxSize = parser.number();
      else if (option === "DEPTH") {
        const value = parser.atom().toLowerCase();
        if (value === "0" || value === "1") depth = Number(value) as 0 | 1;
        else if (value === "infinity") depth = "infinity";
        else throw new ImapParseError('DEPTH is 0, 1 or "infinity"');
      } else throw new ImapParseError(`unknown GETMETADATA option ${option}`);
    } while (parser.take(" "));
    parser.expect(")");
    parser.sp();
  }
  const mailbox = parser.mailbox();
  parser.sp();
  const list = entries(parser);
  parser.end();
  return { mailbox, entries: list, maxSize, depth };
}

/** value = nstring / literal8 */
function value(parser: Parser): Buffer | null {
  if (parser.take("NIL")) return null;
  // literal8 (RFC 3516 §4.1): "~" before the literal; its bytes may hold NUL.
  if (parser.take("~")) return parser.literalBytes();
  const bytes = parser.tryStringBytes();
  if (bytes === undefined) throw new ImapParseError("expected a value: a string, a literal or NIL");
  return bytes;
}

/** setmetadata = "SETMETADATA" SP mailbox SP entry-values; entry-values = "(" entry-value *(SP entry-value) ")" */
export function setMetadataArgs(parser: Parser): SetMetadataArgs {
  parser.sp();
  const mailbox = parser.mailbox();
  parser.sp();
  parser.expect("(");
  const list: SetMetadataArgs["entries"] = [];
  do {
    const name = entry(parser);
    parser.sp();
    list.push({ name, value: value(parser) });
  } while (parser.take(" "));
  parser.expect(")");
  parser.end();
  return { mailbox, entries: list };
}
