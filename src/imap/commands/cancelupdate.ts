/**
 * CANCELUPDATE (RFC 5267 §4.3.5): `CANCELUPDATE 1*(SP quoted)` ends the search contexts the quoted
 * tags started (SEARCH / SORT RETURN (UPDATE)); no further ADDTO or REMOVEFROM is sent for them. A
 * tag that names no live context is NO, and then none is cancelled: the command acts whole or not.
 */
import { ImapBad, ImapNo } from "../errors.ts";
import type { SelectedCommand } from "./handler.ts";

export async function cancelupdate({ state, parser }: SelectedCommand): Promise<string> {
  const tags: string[] = [];
  do {
    parser.sp();
    // §5: the arguments are quoted strings, not atoms (nor literals: a tag is never long).
    if (!parser.peek('"')) throw new ImapBad(undefined, "CANCELUPDATE takes quoted tags");
    tags.push(parser.string());
  } while (!parser.atEnd());
  parser.end();
  const { contexts } = state.mailbox;
  const unknown = tags.find((t) => !contexts.has(t));
  if (unknown !== undefined)
    throw new ImapNo(undefined, `No search context with tag ${unknown.slice(0, 40)}`);
  for (const t of tags) contexts.cancel(t);
  return "CANCELUPDATE completed";
}
