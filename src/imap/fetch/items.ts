/**
 * FETCH data items and modifiers (RFC 3501 §6.4.5 and §9 `fetch-att`, RFC 7162 §3.1.4.1 MODSEQ and
 * CHANGEDSINCE, §3.2.6 VANISHED) parsed into a typed plan: what to send for each message and what
 * must be read from the store to send it. Pure syntax: knows nothing of the store or the session.
 */
import { ImapParseError, type Parser } from "../protocol/parser.ts";
import { type BinaryItem, binaryItem, isBinaryWord } from "./binary-item.ts";

/** section-msgtext / "MIME" (RFC 3501 §9 section-text). "" is the whole part (or message). */
export type SectionText = "" | "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";

export interface Section {
  /** Part numbers: [] is the message itself, [1, 2] is part 1.2. */
  path: number[];
  text: SectionText;
  /** Header field names for HEADER.FIELDS (.NOT), as the client spelt them. */
  fields: string[];
}

export interface BodySectionItem {
  kind: "section";
  peek: boolean;
  section: Section;
  partial: { origin: number; length: number } | undefined;
  /** The data item name in the response, e.g. `BODY[1.2.HEADER.FIELDS (From)]<0>`. */
  label: string;
}

export type SimpleItemKind =
  | "UID"
  | "FLAGS"
  | "INTERNALDATE"
  | "RFC822.SIZE"
  | "ENVELOPE"
  | "BODY"
  | "BODYSTRUCTURE"
  | "RFC822"
  | "RFC822.HEADER"
  | "RFC822.TEXT"
  | "MODSEQ"
  | "SAVEDATE";

export type FetchItem = { kind: SimpleItemKind } | BodySectionItem | BinaryItem;

export interface FetchPlan {
  items: FetchItem[];
  /** RFC 7162 §3.1.4.1 CHANGEDSINCE modifier. */
  changedSince: number | undefined;
  /** RFC 7162 §3.2.6 VANISHED modifier. */
  vanished: boolean;
}

const SIMPLE = new Set<string>([
  "UID",
  "FLAGS",
  "INTERNALDATE",
  "RFC822.SIZE",
  "ENVELOPE",
  "BODY",
  "BODYSTRUCTURE",
  "RFC822",
  "RFC822.HEADER",
  "RFC822.TEXT",
  "MODSEQ",
  "SAVEDATE", // RFC 8514 §4.2
]);

/** RFC 3501 §6.4.5 macros; only valid alone, never inside a list. */
const MACROS: Record<string, SimpleItemKind[]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

/**
 * Deepest part path accepted. The MIME parser opens at most 64 levels, so nothing deeper can exist;
 * the bound keeps a hostile "1.1.1...." from costing more than the lookup it fails.
 */
const MAX_PART_DEPTH = 128;

const SECTION_TEXTS = new Set<string>(["HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT"]);

/** Parses `sequence-set SP` already consumed: the items (a macro, one item or a list) and modifiers. */
export function parseFetchPlan(parser: Parser): FetchPlan {
  let items: FetchItem[];
  if (parser.peek("(")) {
    items = parser.list(() => fetchAtt(parser));
    if (items.length === 0) throw new ImapParseError("empty FETCH item list");
  } else {
    const word = parser.atom();
    const macro = MACROS[word.toUpperCase()];
    items = macro ? macro.map((kind) => ({ kind })) : [fetchAtt(parser, word)];
  }
  const plan: FetchPlan = { items, changedSince: undefined, vanished: false };
  if (parser.take(" ")) parseModifiers(parser, plan);
  return plan;
}

function simpleItem(word: string): FetchItem {
  const name = word.toUpperCase();
  if (!SIMPLE.has(name)) throw new ImapParseError(`unknown FETCH item "${word.slice(0, 40)}"`);
  return { kind: name as SimpleItemKind };
}

/** RFC 3501 §9 fetch-att (plus RFC 7162 MODSEQ). */
function fetchAtt(parser: Parser, word = parser.atom()): FetchItem {
  const bracket = word.indexOf("[");
  if (bracket < 0) return simpleItem(word);
  const name = word.slice(0, bracket).toUpperCase();
  // RFC 3516 / RFC 9051 §6.4.5 BINARY items: binary.ts.
  if (isBinaryWord(name)) return binaryItem(parser, word);
  if (name !== "BODY" && name !== "BODY.PEEK") {
    throw new ImapParseError(`unknown FETCH item "${word.slice(0, 40)}"`);
  }
  const section = sectionSpec(word.slice(bracket + 1));
  let fieldsLabel = "";
  if (section.text === "HEADER.FIELDS" || section.text === "HEADER.FIELDS.NOT") {
    parser.sp();
    section.fields = parser.list(() => headerFieldName(parser.astring()));
    if (section.fields.length === 0) throw new ImapParseError("empty header-list");
    fieldsLabel = ` (${section.fields.map(labelName).join(" ")})`;
  }
  parser.expect("]");
  let partial: BodySectionItem["partial"];
  if (parser.take("<")) {
    const origin = parser.number();
    parser.expect(".");
    const length = parser.nzNumber();
    parser.expect(">");
    partial = { origin, length };
  }
  const spec = [...section.path.map(String), ...(section.text ? [section.text] : [])].join(".");
  const label = `BODY[${spec}${fieldsLabel}]${partial ? `<${partial.origin}>` : ""}`;
  return { kind: "section", peek: name === "BODY.PEEK", section, partial, label };
}

/** RFC 3501 §9 section-spec, the text between "[" and "]" (or before the header-list). */
function sectionSpec(spec: string): Section {
  const section: Section = { path: [], text: "", fields: [] };
  if (spec === "") return section;
  const tokens = spec.toUpperCase().split(".");
  let i = 0;
  for (; i < tokens.length && /^[1-9]\d{0,9}$/.test(tokens[i]!); i++) {
    const n = Number(tokens[i]);
    if (n > 0xffffffff) throw new ImapParseError("part number out of range");
    section.path.push(n);
  }
  if (section.path.length > MAX_PART_DEPTH) throw new ImapParseError("section nested too deeply");
  if (i === tokens.length) return section;
  const text = tokens.slice(i).join(".");
  // "MIME" needs a part (RFC 3501 §9 section-part "." section-text).
  if (SECTION_TEXTS.has(text) || (text === "MIME" && section.path.length > 0)) {
    section.text = text as SectionText;
    return section;
  }
  throw new ImapParseError(`bad section "${spec.slice(0, 40)}"`);
}

/**
 * A header-fld-name: any astring by the grammar, but only printable US-ASCII without ":" can name a
 * field (RFC 5322 §2.2); refusing the rest keeps CR, LF and 8-bit out of the response label.
 */
function headerFieldName(name: string): string {
  if (/^[\x21-\x39\x3b-\x7e]+$/.test(name)) return name;
  throw new ImapParseError(`bad header field name "${name.slice(0, 40)}"`);
}

/** The name echoed in the label: an atom when it is one, else a quoted string. */
function labelName(name: string): string {
  return /[(){%*"\\\]]/.test(name) ? `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"` : name;
}

/** RFC 7162 §3.1.4.1, §3.2.6: fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")". */
function parseModifiers(parser: Parser, plan: FetchPlan): void {
  parser.list(() => {
    const name = parser.atom().toUpperCase();
    if (name === "CHANGEDSINCE") {
      parser.sp();
      plan.changedSince = parser.modSequence();
    } else if (name === "VANISHED") {
      plan.vanished = true;
    } else {
      throw new ImapParseError(`unknown FETCH modifier "${name.slice(0, 40)}"`);
    }
    return name;
  });
}
