/**
 * ENABLE (RFC 5161): turns extensions on for the rest of the session: CONDSTORE and QRESYNC
 * (RFC 7162 §3.2.3), IMAP4rev2 (RFC 9051 §6.3.1), UTF8=ACCEPT (RFC 6855 §3) and UIDONLY (RFC 9586
 * §3). What each changes is read from `session.enabled` where it matters (handler.ts: rev2, utf8,
 * uidOnly). A name we do not know, or one that is already on, is left out of the ENABLED response.
 */
import { ImapBad } from "../errors.ts";
import type { AuthenticatedCommand } from "./handler.ts";

const ENABLEABLE = new Set(["CONDSTORE", "QRESYNC", "IMAP4REV2", "UTF8=ACCEPT", "UIDONLY"]);

/**
 * Extensions that change how the selected mailbox is spoken of (names, numbers, responses): RFC 6855
 * §3 allows ENABLE UTF8=ACCEPT only in the authenticated state, and RFC 5161 §3.1 asks clients not to
 * ENABLE after SELECT; for these the server holds clients to it rather than switch half-way.
 */
const BEFORE_SELECT = new Set(["IMAP4REV2", "UTF8=ACCEPT", "UIDONLY"]);

/** How each extension is spelt in the ENABLED response (RFC 9051 §7.2.1 echoes the capability names). */
const SPELLING: Record<string, string> = { IMAP4REV2: "IMAP4rev2" };

export async function enable({ state, session, parser }: AuthenticatedCommand): Promise<undefined> {
  const names: string[] = [];
  do {
    parser.sp();
    names.push(parser.atom().toUpperCase());
  } while (!parser.atEnd());
  if (state.kind === "selected") {
    const late = names.find((n) => BEFORE_SELECT.has(n));
    if (late) throw new ImapBad(undefined, `ENABLE ${late} is only valid before a mailbox is selected`);
  }
  const newly: string[] = [];
  for (const name of names) {
    if (!ENABLEABLE.has(name) || session.enabled.has(name)) continue;
    session.enabled.add(name);
    newly.push(SPELLING[name] ?? name);
    // QRESYNC implies CONDSTORE (RFC 7162 §3.2.3).
    if (name === "QRESYNC" && !session.enabled.has("CONDSTORE")) session.enabled.add("CONDSTORE");
  }
  session.untagged([`ENABLED${newly.map((n) => ` ${n}`).join("")}`]);
  return undefined;
}
