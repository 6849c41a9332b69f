/**
 * COMPRESS (RFC 4978 §3): `COMPRESS DEFLATE` turns on raw deflate both ways right after the tagged
 * OK (the session then puts net/deflate.ts under its reader and writes). Valid once logged in; a
 * second COMPRESS is `NO [COMPRESSIONACTIVE]`, an algorithm other than DEFLATE is BAD.
 */
import { ImapBad, ImapNo } from "../errors.ts";
import type { AuthenticatedCommand } from "./handler.ts";

export async function compress({ session, parser }: AuthenticatedCommand): Promise<string> {
  parser.sp();
  const algorithm = parser.atom().toUpperCase();
  parser.end();
  // RFC 4978 §3: "the server MUST reply with a BAD response" to an algorithm it does not support.
  if (algorithm !== "DEFLATE") throw new ImapBad(undefined, `Unknown compression algorithm ${algorithm}`);
  // RFC 4978 §3: compression already on (ours; TLS-level compression is never negotiated).
  if (session.compressed) throw new ImapNo("COMPRESSIONACTIVE", "DEFLATE active already");
  session.requestCompression();
  return "DEFLATE active";
}
