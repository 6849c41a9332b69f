/**
 * The "relaxed" canonicalizations of RFC 6376 §3.4.2 (header fields) and §3.4.4 (body), on bytes.
 * Header bytes are handled as latin1 so that 8-bit octets (RFC 6532 headers) pass through as they
 * are. A bare LF counts as a line end, as it will be one (CRLF) on the wire.
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;

/**
 * RFC 6376 §3.4.2: the name lower-cased, the field unfolded, every run of WSP made one SP, WSP at
 * the end of the value and around the colon removed; ends in CRLF unless `withoutCrlf` (the
 * DKIM-Signature field itself is hashed without its line break, §3.7).
 */
export function relaxedHeader(field: string, withoutCrlf = false): string {
  const colon = field.indexOf(":");
  const name = (colon < 0 ? field : field.slice(0, colon)).replace(/[ \t]+$/, "").toLowerCase();
  const value = colon < 0 ? "" : field.slice(colon + 1);
  const relaxed = value
    .replace(/\r?\n(?=[ \t])/g, "")
    .replace(/\r?\n$/, "")
    .replace(/[ \t]+/g, " ")
    .replace(/^ | $/g, "");
  return `${name}:${relaxed}${withoutCrlf ? "" : "\r\n"}`;
}

/**
 * RFC 6376 §3.4.4: WSP runs inside a line become one SP, WSP at line ends goes, empty lines at the
 * end of the body go, and a non-empty body ends with CRLF. (An empty body stays empty: RFC 6376
 * erratum 3951.) One pass, into one buffer.
 */
export function relaxedBody(body: Uint8Array): Uint8Array {
  // At most one CR added per line: bare LFs become CRLF.
  let lines = 1;
  for (let i = body.indexOf(LF); i >= 0; i = body.indexOf(LF, i + 1)) lines++;
  const out = new Uint8Array(body.length + lines + 2);
  let n = 0;
  /** Output length after the last non-empty line: trailing empty lines are cut back to it. */
  let keep = 0;
  let pos = 0;
  while (pos < body.length) {
    const nl = body.indexOf(LF, pos);
    const hasBreak = nl >= 0;
    let end = hasBreak ? nl : body.length;
    if (hasBreak && end > pos && body[end - 1] === CR) end--;
    // Trailing WSP of the line is dropped.
    while (end > pos && (body[end - 1] === SP || body[end - 1] === HT)) end--;
    let inWsp = false;
    for (let i = pos; i < end; i++) {
      const c = body[i]!;
      if (c === SP || c === HT) {
        if (!inWsp) out[n++] = SP;
        inWsp = true;
      } else {
        out[n++] = c;
        inWsp = false;
      }
    }
    const empty = end === pos;
    out[n++] = CR;
    out[n++] = LF;
    if (!empty) keep = n;
    pos = hasBreak ? nl + 1 : body.length;
  }
  return out.subarray(0, keep);
}
