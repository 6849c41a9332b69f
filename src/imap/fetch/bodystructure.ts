/**
 * BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, grammar §9 `body`) from the MimePart tree stored at
 * delivery: sizes and line counts were counted then, so nothing here touches the message bytes.
 * BODYSTRUCTURE adds the extension data (body-ext-1part, body-ext-mpart); BODY leaves it out.
 */
import type { MimePart } from "../../mime/mod.ts";
import { nstr, str } from "../protocol/encode.ts";
import { EMPTY_ENVELOPE, encodeEnvelope } from "./envelope.ts";
import type { PieceBuilder } from "./pieces.ts";

/** body-fld-param: ("KEY" "value" ...) or NIL. Keys are stored lower-case; most servers send them upper-case. */
function params(out: PieceBuilder, values: Record<string, string>): void {
  const keys = Object.keys(values);
  if (keys.length === 0) {
    out.add("NIL");
    return;
  }
  out.add("(");
  keys.forEach((key, i) => {
    if (i > 0) out.add(" ");
    out.add(str(key.toUpperCase())).add(" ").add(str(values[key]!));
  });
  out.add(")");
}

/** body-fld-dsp SP body-fld-lang SP body-fld-loc: the tail both extension forms share. */
function dispositionLanguageLocation(out: PieceBuilder, part: MimePart): void {
  out.add(" ");
  if (part.disposition) {
    out.add("(").add(str(part.disposition.type.toUpperCase())).add(" ");
    params(out, part.disposition.params);
    out.add(")");
  } else {
    out.add("NIL");
  }
  out.add(" ");
  const languages = part.language ?? [];
  if (languages.length === 0) out.add("NIL");
  else if (languages.length === 1) out.add(str(languages[0]!));
  else {
    out.add("(");
    languages.forEach((l, i) => {
      out.add(i > 0 ? " " : "").add(str(l));
    });
    out.add(")");
  }
  out.add(" ").add(nstr(part.location));
}

function isMultipart(part: MimePart): boolean {
  return part.type === "multipart" && part.children.length > 0;
}

/** body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart] */
function multipart(out: PieceBuilder, part: MimePart, extended: boolean): void {
  out.add("(");
  for (const child of part.children) encodeBody(out, child, extended);
  out.add(" ").add(str(part.subtype.toUpperCase()));
  if (extended) {
    out.add(" ");
    params(out, part.params);
    dispositionLanguageLocation(out, part);
  }
  out.add(")");
}

/**
 * body-type-1part: basic, text (adds lines) or message (adds envelope, body, lines). A multipart that
 * could not be split comes here too, as a basic body: its bytes are all there is.
 */
function singlePart(out: PieceBuilder, part: MimePart, extended: boolean): void {
  out.add("(").add(str(part.type.toUpperCase())).add(" ").add(str(part.subtype.toUpperCase())).add(" ");
  params(out, part.params);
  out.add(" ").add(nstr(part.id)).add(" ").add(nstr(part.description));
  out.add(" ").add(str(part.encoding)).add(` ${part.size}`);
  const isMessage = part.type === "message" && (part.subtype === "rfc822" || part.subtype === "global");
  if (isMessage) {
    // body-type-msg requires an envelope and a body; a part we could not open (RFC 2046 §5.2.1
    // forbids encoding it, yet it happens) gets empty ones rather than a shape clients cannot parse.
    out.add(" ");
    encodeEnvelope(out, part.message?.envelope ?? EMPTY_ENVELOPE);
    out.add(" ");
    if (part.message) encodeBody(out, part.message.body, extended);
    else out.add('("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0)');
    out.add(` ${part.lines}`);
  } else if (part.type === "text") {
    out.add(` ${part.lines}`);
  }
  if (extended) {
    // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
    out.add(" ").add(nstr(part.md5));
    dispositionLanguageLocation(out, part);
  }
  out.add(")");
}

/** One `body`: BODYSTRUCTURE when `extended`, else BODY. */
export function encodeBody(out: PieceBuilder, part: MimePart, extended: boolean): void {
  if (isMultipart(part)) multipart(out, part, extended);
  else singlePart(out, part, extended);
}
