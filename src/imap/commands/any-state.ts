/** Commands valid in every state: CAPABILITY, NOOP, LOGOUT (RFC 3501 §6.1), ID (RFC 2971). */
import { ImapBad } from "../errors.ts";
import { join, nstr, type Piece } from "../protocol/encode.ts";
import type { CommandContext } from "./handler.ts";

/** RFC 3501 §6.1.1 */
export async function capability({ session, parser }: CommandContext): Promise<undefined> {
  parser.end();
  session.untagged([`CAPABILITY ${session.capabilities.join(" ")}`]);
  return undefined;
}

/** RFC 3501 §6.1.2: does nothing, which gives pending updates a chance to be reported. */
export async function noop({ parser }: CommandContext): Promise<undefined> {
  parser.end();
  return undefined;
}

/** RFC 3501 §6.1.3 */
export async function logout({ session, parser }: CommandContext): Promise<string> {
  parser.end();
  session.untagged(["BYE Logging out"]);
  session.logout();
  return "LOGOUT completed";
}

/** RFC 2971: the client says who it is (logged); we say who we are. */
export async function id({ ctx, session, parser }: CommandContext): Promise<undefined> {
  parser.sp();
  const fields: Record<string, string | null> = {};
  if (!parser.take("NIL")) {
    const items = parser.list(() => parser.nstring());
    if (items.length % 2 !== 0 || items.length > 60)
      throw new ImapBad(undefined, "ID takes field/value pairs (at most 30)");
    for (let i = 0; i < items.length; i += 2)
      fields[String(items[i]).slice(0, 30)] = items[i + 1]?.slice(0, 1024) ?? null;
  }
  parser.end();
  ctx.log.info("imap.client_id", { session: session.id, client: fields });
  const ours: Piece[] = join([
    nstr("name"),
    nstr("Mailroom"),
    nstr("vendor"),
    nstr("Mailroom"),
    nstr("support-url"),
    nstr("https://example.invalid/mailroom"),
  ]);
  session.untagged(["ID (", ...ours, ")"]);
  return undefined;
}
