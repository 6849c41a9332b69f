/**
 * The syntax of FETCH BINARY[], BINARY.PEEK[] and BINARY.SIZE[] (RFC 3516 §7, RFC 9051 §6.4.5):
 * section-binary takes part numbers only. What the items answer is in binary.ts.
 */
import { ImapParseError, type Parser } from "../protocol/parser.ts";

export interface BinaryItem {
  kind: "binary";
  /** BINARY.SIZE: the decoded size only. */
  size: boolean;
  peek: boolean;
  /** Part numbers: [] is the whole message. */
  path: number[];
  partial: { origin: number; length: number } | undefined;
  /** The data item name in the response: `BINARY[1.2]<0>`, `BINARY.SIZE[1]`. */
  label: string;
}

/** Same bound as BODY[] part paths (items.ts): nothing deeper can exist. */
const MAX_PART_DEPTH = 128;

/** Whether a FETCH item word names a BINARY item (then binaryItem() parses it). */
export function isBinaryWord(name: string): boolean {
  return name === "BINARY" || name === "BINARY.PEEK" || name === "BINARY.SIZE";
}

/**
 * `"BINARY" [".PEEK"] section-binary [partial] / "BINARY.SIZE" section-binary` (RFC 3516 §7). `word`
 * is the atom the FETCH parser read, up to the "]" (`BINARY.PEEK[1.2`); the parser stands on "]".
 */
export function binaryItem(parser: Parser, word: string): BinaryItem {
  const bracket = word.indexOf("[");
  const name = word.slice(0, bracket).toUpperCase();
  const spec = word.slice(bracket + 1);
  const path: number[] = [];
  if (spec !== "") {
    for (const token of spec.split(".")) {
      if (!/^[1-9]\d{0,9}$/.test(token) || Number(token) > 0xffffffff)
        throw new ImapParseError(`bad section-binary "${spec.slice(0, 40)}"`);
      path.push(Number(token));
    }
  }
  if (path.length > MAX_PART_DEPTH) throw new ImapParseError("section nested too deeply");
  parser.expect("]");
  const size = name === "BINARY.SIZE";
  let partial: BinaryItem["partial"];
  // RFC 3516 §7: BINARY.SIZE takes no partial.
  if (!size && parser.take("<")) {
    const origin = parser.number();
    parser.expect(".");
    const length = parser.nzNumber();
    parser.expect(">");
    partial = { origin, length };
  }
  const label = `${size ? "BINARY.SIZE" : "BINARY"}[${spec}]${partial ? `<${partial.origin}>` : ""}`;
  return { kind: "binary", size, peek: name !== "BINARY", path, partial, label };
}
