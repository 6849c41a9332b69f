/**
 * Line ends in a message: RFC 5322 §2.3 allows CR and LF only together, as CRLF. A bare CR or a bare
 * LF is read as a line end by some programs and as an ordinary byte by others (Mailroom's own header
 * parser, Python's e-mail package, an outbound SMTP client that "repairs" it into CRLF), so a
 * message containing one can show different headers to the sender check and to the next hop: the
 * From spoofing of issue 9. Every ingest path (SMTP DATA, IMAP APPEND, REST import) runs its bytes
 * through this one module, refusing or normalising BEFORE anything else looks at them, so the bytes
 * checked, stored and relayed are the same bytes.
 *
 * `LineEndings` works chunk by chunk (a CR at the end of one chunk may be the first half of a CRLF
 * split across two); `hasBareNewline()` and `normalizeNewlines()` are its whole-buffer forms.
 */

/** What to do with a bare CR or LF (MAILROOM_BARE_NEWLINE): refuse the message, or make it CRLF. */
export type BareNewlinePolicy = "reject" | "normalize";

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = new Uint8Array(0);
const LF_ONLY = Uint8Array.of(LF);

/**
 * How many bare CRs and LFs `chunk` holds (counting stops at `limit`), given whether the byte before
 * it was a CR. A CR as the very last byte is not judged here: it stays pending until the next byte.
 */
function bareCount(chunk: Uint8Array, afterCr: boolean, limit = Number.POSITIVE_INFINITY): number {
  const n = chunk.length;
  if (n === 0) return 0;
  let count = afterCr && chunk[0] !== LF ? 1 : 0;
  for (let i = chunk.indexOf(LF); i !== -1 && count < limit; i = chunk.indexOf(LF, i + 1))
    if (i === 0 ? !afterCr : chunk[i - 1] !== CR) count++;
  for (let i = chunk.indexOf(CR); i !== -1 && i < n - 1 && count < limit; i = chunk.indexOf(CR, i + 1))
    if (chunk[i + 1] !== LF) count++;
  return count;
}

/** `chunk` with a CR before each bare LF and an LF after each bare CR (the last byte's CR aside). */
function normalizeChunk(chunk: Uint8Array, afterCr: boolean): Uint8Array {
  const extra = bareCount(chunk, afterCr);
  if (extra === 0) return chunk;
  const n = chunk.length;
  const out = new Uint8Array(n + extra);
  let o = 0;
  // The previous chunk ended in a CR that no LF follows.
  if (afterCr && chunk[0] !== LF) out[o++] = LF;
  for (let i = 0; i < n; i++) {
    const b = chunk[i]!;
    if (b === LF && (i === 0 ? !afterCr : chunk[i - 1] !== CR)) out[o++] = CR;
    out[o++] = b;
    if (b === CR && i < n - 1 && chunk[i + 1] !== LF) out[o++] = LF;
  }
  return out;
}

/**
 * Applies a policy to a message arriving in chunks. `push()` returns the bytes to keep (the chunk
 * itself under "reject" or when it needs no change); `end()` returns what is still owed (an LF after
 * a final bare CR under "normalize"); `sawBare` says whether a bare CR or LF was seen, which under
 * "reject" means the message must be refused.
 */
export class LineEndings {
  #afterCr = false;
  #sawBare = false;

  constructor(readonly policy: BareNewlinePolicy) {}

  get sawBare(): boolean {
    return this.#sawBare;
  }

  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return chunk;
    let out = chunk;
    if (this.policy === "normalize") {
      out = normalizeChunk(chunk, this.#afterCr);
      if (out !== chunk) this.#sawBare = true;
    } else if (!this.#sawBare && bareCount(chunk, this.#afterCr, 1) > 0) {
      // Once refused, the rest needs no looking at: it is drained, never kept.
      this.#sawBare = true;
    }
    this.#afterCr = chunk[chunk.length - 1] === CR;
    return out;
  }

  end(): Uint8Array {
    if (!this.#afterCr) return EMPTY;
    this.#afterCr = false;
    this.#sawBare = true;
    return this.policy === "normalize" ? LF_ONLY : EMPTY;
  }
}

/** Whether `bytes` holds a bare CR or a bare LF anywhere (a final CR included). */
export function hasBareNewline(bytes: Uint8Array): boolean {
  return bareCount(bytes, false, 1) > 0 || bytes[bytes.length - 1] === CR;
}

/** `bytes` with every bare CR and bare LF turned into CRLF; the same array when there is none. */
export function normalizeNewlines(bytes: Uint8Array): Uint8Array {
  const lines = new LineEndings("normalize");
  const body = lines.push(bytes);
  const tail = lines.end();
  if (tail.length === 0) return body;
  const out = new Uint8Array(body.length + tail.length);
  out.set(body);
  out.set(tail, body.length);
  return out;
}
