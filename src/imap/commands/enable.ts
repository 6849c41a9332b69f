/** ENABLE (RFC 5161): turns on CONDSTORE and QRESYNC (RFC 7162 §3.2.3) for the rest of the session. */
import type { AuthenticatedCommand } from "./handler.ts";

const ENABLEABLE = new Set(["CONDSTORE", "QRESYNC"]);

export async function enable({ session, parser }: AuthenticatedCommand): Promise<undefined> {
  const newly: string[] = [];
  do {
    parser.sp();
    const name = parser.atom().toUpperCase();
    if (!ENABLEABLE.has(name) || session.enabled.has(name)) continue;
    session.enabled.add(name);
    newly.push(name);
    // QRESYNC implies CONDSTORE (RFC 7162 §3.2.3).
    if (name === "QRESYNC" && !session.enabled.has("CONDSTORE")) session.enabled.add("CONDSTORE");
  } while (!parser.atEnd());
  session.untagged([`ENABLED${newly.map((n) => ` ${n}`).join("")}`]);
  return undefined;
}
