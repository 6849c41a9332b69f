/**
 * Content-Transfer-Encoding encoders (RFC 2045 §6.7 quoted-printable, §6.8 base64): the inverse of
 * transfer.ts, for turning 8-bit bodies into 7-bit ones (seven-bit.ts).
 */
import { bufferView } from "./bytes.ts";

const HEX = "0123456789ABCDEF";
/** RFC 2045 §6.7 rule (5): encoded lines are at most 76 characters, the soft break's "=" included. */
const QP_LINE = 76;
/** RFC 2045 §6.8: base64 lines are at most 76 characters. */
const B64_LINE = 76;

function isLiteral(c: number): boolean {
  // Rule (2): printable ASCII except "=" stands for itself.
  return c >= 33 && c <= 126 && c !== 61;
}

/**
 * Quoted-printable for a text body: its line breaks (CRLF, or a bare LF) stay hard line breaks
 * (CRLF), everything else that is not printable ASCII becomes =XX, blanks at the end of a line are
 * encoded (rule 3), and long lines get soft breaks. The output ends with a line break exactly when
 * the input does.
 */
export function encodeQuotedPrintable(input: Uint8Array): Uint8Array {
  // Worst case: every octet as =XX, plus a soft break ("=" CRLF) per 25 encoded octets.
  const out = new Uint8Array(input.length * 3 + Math.ceil(input.length / 25) * 3 + 2);
  let n = 0;
  let column = 0;
  const put = (a: number, b?: number, c?: number) => {
    const width = b === undefined ? 1 : 3;
    // Rule (5): a soft break before a piece that would push the line (and its "=") past 76.
    if (column + width > QP_LINE - 1) {
      out[n++] = 61;
      out[n++] = 13;
      out[n++] = 10;
      column = 0;
    }
    out[n++] = a;
    if (b !== undefined) {
      out[n++] = b;
      out[n++] = c!;
    }
    column += width;
  };
  const encoded = (c: number) => put(61, HEX.charCodeAt(c >> 4), HEX.charCodeAt(c & 15));
  let pos = 0;
  while (pos < input.length) {
    const nl = input.indexOf(10, pos);
    const hasBreak = nl >= 0;
    let end = hasBreak ? nl : input.length;
    if (hasBreak && end > pos && input[end - 1] === 13) end--;
    for (let i = pos; i < end; i++) {
      const c = input[i]!;
      // Rules (2) and (3): printable ASCII as itself; blanks too, except at the end of a line.
      if (isLiteral(c) || ((c === 32 || c === 9) && i !== end - 1)) put(c);
      else encoded(c);
    }
    if (hasBreak) {
      out[n++] = 13;
      out[n++] = 10;
      column = 0;
    }
    pos = hasBreak ? nl + 1 : input.length;
  }
  return out.subarray(0, n);
}

/** Base64 in lines of 76 characters, each ending in CRLF. */
export function encodeBase64Lines(input: Uint8Array): Uint8Array {
  const text = bufferView(input).toString("base64");
  let out = "";
  for (let i = 0; i < text.length; i += B64_LINE) out += `${text.slice(i, i + B64_LINE)}\r\n`;
  return Buffer.from(out, "latin1");
}
