/**
 * RFC 8601 §5: a border MTA removes every incoming Authentication-Results field that claims its own
 * authserv-id, before it adds its own; otherwise a sender could write "dkim=pass" in our name and a
 * reader (or a filter) downstream would believe it. Fields naming other authserv-ids are left alone.
 *
 * Works on the received bytes, before anything else reads them: the bytes the checks see, the
 * bytes stored and the bytes relayed are the same.
 */

/** Where the empty line that ends the header section starts (the whole message when there is none). */
function headerSectionEnd(raw: Uint8Array): number {
  if (raw[0] === 0x0a || (raw[0] === 0x0d && raw[1] === 0x0a)) return 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x0a) continue;
    if (raw[i + 1] === 0x0a || (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a)) return i + 1;
  }
  return raw.length;
}

/** Removes nested comments (RFC 5322 §3.2.2), honouring quoted-pairs. */
function withoutComments(text: string): string {
  let out = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && (depth > 0 || quoted)) {
      if (depth === 0) out += c + (text[i + 1] ?? "");
      i++;
      continue;
    }
    if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")" && depth > 0) depth--;
    else if (depth === 0) {
      if (c === '"') quoted = !quoted;
      out += c;
    }
  }
  return out;
}

/**
 * The authserv-id of an Authentication-Results value (RFC 8601 §2.2: `authserv-id = value`, a
 * token or a quoted-string, then an optional version), lower-cased; "" when there is none.
 */
export function authservIdOf(value: string): string {
  const text = withoutComments(value.replace(/\r?\n/g, "")).trim();
  if (text.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(text);
    return m ? m[1]!.replace(/\\(.)/g, "$1").toLowerCase() : "";
  }
  const m = /^[^\s;()<>@,:\\"/[\]?=]+/.exec(text);
  return m ? m[0].toLowerCase() : "";
}

/**
 * The message without the Authentication-Results fields that claim `authservId`; the same buffer
 * when there are none. `removed` counts the fields dropped.
 */
export function stripOwnResults(raw: Buffer, authservId: string): { body: Buffer; removed: number } {
  const end = headerSectionEnd(raw);
  const own = authservId.toLowerCase();
  const drop: Array<[number, number]> = [];
  const consider = (start: number, stop: number) => {
    // The name first, from the field's first bytes; the whole value only for our field name (a
    // long comment before the authserv-id must not hide it).
    const name = raw.subarray(start, Math.min(stop, start + 64)).toString("latin1");
    const colon = name.indexOf(":");
    if (colon < 0 || name.slice(0, colon).trim().toLowerCase() !== "authentication-results") return;
    const value = raw.subarray(start + colon + 1, stop).toString("latin1");
    if (authservIdOf(value) === own) drop.push([start, stop]);
  };
  let fieldStart = 0;
  for (let pos = 0; pos < end; ) {
    const nl = raw.indexOf(0x0a, pos);
    const next = nl === -1 || nl >= end ? end : nl + 1;
    // A line starting with SP or HTAB continues the field above (RFC 5322 §2.2.3).
    if (pos > fieldStart && raw[pos] !== 0x20 && raw[pos] !== 0x09) {
      consider(fieldStart, pos);
      fieldStart = pos;
    }
    pos = next;
  }
  if (end > fieldStart) consider(fieldStart, end);
  if (drop.length === 0) return { body: raw, removed: 0 };
  const parts: Buffer[] = [];
  let from = 0;
  for (const [start, stop] of drop) {
    parts.push(raw.subarray(from, start));
    from = stop;
  }
  parts.push(raw.subarray(from));
  return { body: Buffer.concat(parts), removed: drop.length };
}
