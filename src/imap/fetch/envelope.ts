/**
 * The ENVELOPE data item (RFC 3501 §7.4.2) from the Envelope stored at delivery: no header is parsed
 * again. Values go out as the message has them (not RFC 2047-decoded); the encoder picks quoted string
 * or literal, so 8-bit UTF-8 header text becomes a literal.
 */
import { type Address, type Envelope, emptyEnvelope } from "../../mime/mod.ts";
import { nstr } from "../protocol/encode.ts";
import type { PieceBuilder } from "./pieces.ts";

/** An envelope with every field NIL, for a part or message whose header could not be read. */
export const EMPTY_ENVELOPE: Envelope = emptyEnvelope();

/**
 * address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")". Group syntax needs no special
 * case: the stored start marker is (NIL NIL "group" NIL) and the end marker all NIL, as §7.4.2 wants.
 * addr-adl is the source route ("@relay1,@relay2") when the address had one; envelopes stored before
 * routes were kept have none, and say NIL.
 */
function addresses(out: PieceBuilder, list: readonly Address[] | null): void {
  if (!list || list.length === 0) {
    out.add("NIL");
    return;
  }
  out.add("(");
  for (const a of list) {
    out
      .add("(")
      .add(nstr(a.name))
      .add(" ")
      .add(nstr(a.adl))
      .add(" ")
      .add(nstr(a.mailbox))
      .add(" ")
      .add(nstr(a.host))
      .add(")");
  }
  out.add(")");
}

/** env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id */
export function encodeEnvelope(out: PieceBuilder, env: Envelope): void {
  out.add("(").add(nstr(env.date)).add(" ").add(nstr(env.subject)).add(" ");
  addresses(out, env.from);
  out.add(" ");
  // §7.4.2: Sender and Reply-To default to From (already applied at delivery; kept for older rows).
  addresses(out, env.sender ?? env.from);
  out.add(" ");
  addresses(out, env.replyTo ?? env.from);
  out.add(" ");
  addresses(out, env.to);
  out.add(" ");
  addresses(out, env.cc);
  out.add(" ");
  addresses(out, env.bcc);
  out.add(" ").add(nstr(env.inReplyTo)).add(" ").add(nstr(env.messageId)).add(")");
}
