/**
 * Modified UTF-7 for mailbox names on the wire (RFC 3501 §5.1.3): printable ASCII stands for itself
 * ("&" is "&-"), anything else is UTF-16 in a base64 variant ("," for "/") between "&" and "-".
 */

function base64Modified(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, "").replace(/\//g, ",");
}

export function utf7Encode(name: string): string {
  let out = "";
  let pending = "";
  const flush = () => {
    if (pending === "") return;
    const utf16 = Buffer.alloc(pending.length * 2);
    for (let i = 0; i < pending.length; i++) utf16.writeUInt16BE(pending.charCodeAt(i), i * 2);
    out += `&${base64Modified(utf16)}-`;
    pending = "";
  };
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += ch === "&" ? "&-" : ch;
    } else {
      pending += ch;
    }
  }
  flush();
  return out;
}

/** Decodes a modified UTF-7 name; returns undefined when it is not valid modified UTF-7. */
export function utf7Decode(wire: string): string | undefined {
  let out = "";
  for (let i = 0; i < wire.length; i++) {
    const ch = wire[i]!;
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) return undefined;
    if (ch !== "&") {
      out += ch;
      continue;
    }
    const end = wire.indexOf("-", i + 1);
    if (end === -1) return undefined;
    const chunk = wire.slice(i + 1, end);
    i = end;
    if (chunk === "") {
      out += "&";
      continue;
    }
    if (!/^[A-Za-z0-9+,]+$/.test(chunk)) return undefined;
    const bytes = Buffer.from(chunk.replace(/,/g, "/"), "base64");
    if (bytes.length % 2 !== 0) return undefined;
    for (let j = 0; j < bytes.length; j += 2) out += String.fromCharCode(bytes.readUInt16BE(j));
  }
  return out;
}
