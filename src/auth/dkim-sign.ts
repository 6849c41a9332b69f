/**
 * DKIM signatures (RFC 6376) with RSA-SHA256 and Ed25519-SHA256 (RFC 8463), relaxed/relaxed, for
 * the header fields of RFC 6376 §5.4.1, the important ones over-signed (§8.15: each listed once
 * more than it occurs, so that nobody can add another instance after signing). Pure: bytes and
 * keys in, DKIM-Signature fields out.
 *
 * Why not mailauth's dkimSign: it lists in h= only the fields the message has, so it cannot
 * over-sign. Its verifier (and dkimpy, an independent one) check what this produces in the tests.
 */
import { createHash, type KeyObject, sign } from "node:crypto";
import { parseHeaders } from "../mime/mod.ts";
import type { DkimAlgorithm } from "../store/mod.ts";
import { relaxedBody, relaxedHeader } from "./dkim-canon.ts";
import { DKIM_LIMITS } from "./limits.ts";

/**
 * Signed and listed once more than present (RFC 6376 §5.4.1, §8.15): what a reader sees and a
 * replay or an added header could change.
 */
export const OVERSIGNED_FIELDS = [
  "From",
  "Reply-To",
  "Subject",
  "Date",
  "Message-ID",
  "To",
  "Cc",
  "MIME-Version",
  "Content-Type",
  "Content-Transfer-Encoding",
  "In-Reply-To",
  "References",
] as const;

/**
 * Signed where present, not over-signed: fields a later hop may legitimately add (resending,
 * a mailing list), RFC 6376 §5.4.1. Trace fields (Received, Return-Path) are never signed (§5.4).
 */
export const SIGNED_FIELDS = [
  "Sender",
  "Resent-Date",
  "Resent-From",
  "Resent-Sender",
  "Resent-To",
  "Resent-Cc",
  "Resent-Message-ID",
  "Content-ID",
  "Content-Description",
  "List-Id",
  "List-Help",
  "List-Unsubscribe",
  "List-Unsubscribe-Post",
  "List-Subscribe",
  "List-Post",
  "List-Owner",
  "List-Archive",
  "Auto-Submitted",
] as const;

export interface DkimSigner {
  selector: string;
  algorithm: DkimAlgorithm;
  /** The private key, already parsed (its type must match `algorithm`). */
  key: KeyObject;
}

export interface DkimSignOptions {
  /** The d= tag: the signing domain, as an A-label (RFC 6376 §3.5). */
  domain: string;
  signers: readonly DkimSigner[];
  /** The t= tag; now by default. */
  now?: Date;
}

/** Where the header block ends: just past its blank line (or the whole input if there is none). */
export function headerEnd(raw: Uint8Array): { fields: number; body: number } {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x0a) continue;
    if (i === 0) return { fields: 0, body: 1 };
    if (raw[i + 1] === 0x0a) return { fields: i + 1, body: i + 2 };
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return { fields: i + 1, body: i + 3 };
  }
  return { fields: raw.length, body: raw.length };
}

interface Field {
  name: string;
  /** The field's bytes as latin1 text, with its folding and line break. */
  text: string;
}

/**
 * The h= list and the canonicalized fields it covers, in order. Each occurrence of a name in h=
 * takes the next instance from the bottom (RFC 6376 §5.4.2); occurrences past the last instance
 * contribute nothing, which is what makes over-signing work.
 */
export function signedFields(fields: readonly Field[]): { names: string[]; canonical: string } {
  const byName = new Map<string, Field[]>();
  for (const f of fields) {
    const key = f.name.toLowerCase();
    const list = byName.get(key);
    if (list) list.push(f);
    else byName.set(key, [f]);
  }
  const names: string[] = [];
  let canonical = "";
  const add = (name: string, oversign: boolean) => {
    const present = byName.get(name.toLowerCase()) ?? [];
    // Bottom-up, at most the limit (a header with thousands of To: lines is not ours to list).
    const covered = present.slice(-DKIM_LIMITS.maxInstancesPerField).reverse();
    for (const f of covered) {
      names.push(name);
      canonical += relaxedHeader(f.text);
    }
    if (oversign) names.push(name);
  };
  for (const name of OVERSIGNED_FIELDS) add(name, true);
  for (const name of SIGNED_FIELDS) add(name, false);
  return { names, canonical };
}

/** The DKIM-Signature field with the given b= value, folded at tag and list boundaries (RFC 5322 §2.2.3). */
function signatureField(tags: Array<[string, string]>, names: readonly string[], b: string): string {
  const lines: string[] = [];
  let line = "DKIM-Signature:";
  /** Adds a piece, after a space (`spaced`) or right after the previous one, folding before 76 columns. */
  const put = (piece: string, spaced = true) => {
    if (line.length + 1 + piece.length > 76 && line.trim() !== "") {
      lines.push(line);
      line = "\t";
    } else if (spaced && !line.endsWith("\t")) line += " ";
    line += piece;
  };
  for (const [tag, value] of tags) put(`${tag}=${value};`);
  // h= may fold around its colons (§3.5: sig-h-tag allows FWS there).
  names.forEach((name, i) => {
    put(`${i === 0 ? "h=" : ""}${name}${i === names.length - 1 ? ";" : ":"}`, i === 0);
  });
  lines.push(line);
  // b= last, on lines of its own; base64 may fold anywhere (§3.5: FWS between base64 characters).
  const chunks = b.match(/.{1,72}/g) ?? [];
  lines.push(`\tb=${chunks.shift() ?? ""}`);
  for (const chunk of chunks) lines.push(`\t${chunk}`);
  return lines.join("\r\n");
}

/**
 * The DKIM-Signature fields for a message, one per signer in their order, to prepend to it (each
 * ends with CRLF; RFC 6376 §5.6).
 * Throws only on a key that cannot sign (wrong type); callers check keys beforehand.
 */
export function dkimSign(raw: Uint8Array, options: DkimSignOptions): string {
  const end = headerEnd(raw);
  const fields: Field[] = parseHeaders(raw, 0, end.fields).map((f) => ({
    name: f.name,
    text: Buffer.from(raw.buffer, raw.byteOffset + f.start, f.end - f.start).toString("latin1"),
  }));
  const { names, canonical } = signedFields(fields);
  const body = raw.subarray(end.body);
  // RFC 6376 §3.7: the body hash; both algorithms use SHA-256 (RFC 8463 §3).
  const bh = createHash("sha256").update(relaxedBody(body)).digest("base64");
  const t = String(Math.floor((options.now ?? new Date()).getTime() / 1000));
  let out = "";
  for (const signer of options.signers) {
    const tags: Array<[string, string]> = [
      ["v", "1"],
      ["a", signer.algorithm],
      ["c", "relaxed/relaxed"],
      ["d", options.domain],
      ["s", signer.selector],
      ["t", t],
    ];
    // §3.7: the fields, then this signature field with an empty b=, without its final CRLF.
    const unsigned = signatureField([...tags, ["bh", bh]], names, "");
    const data = Buffer.from(canonical + relaxedHeader(unsigned, true), "latin1");
    const signature =
      signer.algorithm === "rsa-sha256"
        ? sign("sha256", data, signer.key)
        : // RFC 8463 §3: Ed25519 (PureEdDSA) over the SHA-256 hash of the data.
          sign(null, createHash("sha256").update(data).digest(), signer.key);
    out += `${signatureField([...tags, ["bh", bh]], names, signature.toString("base64"))}\r\n`;
  }
  return out;
}
