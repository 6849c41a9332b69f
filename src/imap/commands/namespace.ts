/** NAMESPACE (RFC 2342): one personal namespace, no prefix, "/" as the separator; no shared ones. */
import type { AuthenticatedCommand } from "./handler.ts";

export async function namespace({ session, parser }: AuthenticatedCommand): Promise<undefined> {
  parser.end();
  session.untagged(['NAMESPACE (("" "/")) NIL NIL']);
  return undefined;
}
