/**
 * Content-Transfer-Encoding encoders (RFC 2045 §6.7 quoted-printable, §6.8 base64): the inverse of
 * transfer.ts, for turning 8-bit bodies into 7-bit ones (seven-bit.ts).
 */

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
  let out = "";
  let pos = 0;
  while (pos <= input.length) {
    const nl = input.indexOf(10, pos);
    const hasBreak = nl >= 0;
    let end = hasBreak ? nl : input.length;
    if (hasBreak && end > pos && input[end - 1] === 13) end--;
    if (!hasBreak && pos === input.length) break;
    let line = "";
    for (let i = pos; i < end; i++) {
      const c = input[i]!;
      const last = i === end - 1;
      let piece: string;
      if (isLiteral(c)) piece = String.fromCharCode(c);
      else if ((c === 32 || c === 9) && !last) piece = String.fromCharCode(c);
      else piece = `=${HEX[c >> 4]}${HEX[c & 15]}`;
      // Soft break (rule 5) so that the line and its "=" stay within 76 characters.
      if (line.length + piece.length > QP_LINE - 1) {
        out += `${line}=\r\n`;
        line = "";
      }
      line += piece;
    }
    out += line;
    if (hasBreak) out += "\r\n";
    pos = hasBreak ? nl + 1 : input.length + 1;
  }
  return Buffer.from(out, "latin1");
}

/** Base64 in lines of 76 characters, each ending in CRLF. */
export function encodeBase64Lines(input: Uint8Array): Uint8Array {
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("base64");
  let out = "";
  for (let i = 0; i < text.length; i += B64_LINE) out += `${text.slice(i, i + B64_LINE)}\r\n`;
  return Buffer.from(out, "latin1");
}
