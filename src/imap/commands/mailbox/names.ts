/**
 * What the mailbox commands share: the reading of a name about to be created, and the creation of
 * missing superior levels. Every store call they make is scoped to their state's account, which is
 * what keeps one account from reaching another's mailboxes whatever the name.
 */
import { mailboxCreate, mailboxFind, type Write } from "../../../store/mod.ts";
import { ImapNo } from "../../errors.ts";
import { utf7Decode, utf7Encode } from "../../protocol/utf7.ts";

/**
 * A name to create (CREATE, RENAME's target), from the astring as sent; called after the whole
 * command parsed, so a syntax error stays BAD. Modified UTF-7 must be canonical (RFC 3501 §5.1.3: no
 * base64 for printable ASCII), else "&AC8-" would smuggle in a "/" the client never typed; 8-bit
 * UTF-8 that is no modified UTF-7 at all is taken as it is, as parser.mailbox() does. A trailing
 * delimiter only declares the intent to create children (RFC 3501 §6.3.3), so it is dropped.
 */
export function newMailboxName(raw: string): string {
  let name = raw;
  if (raw.toUpperCase() !== "INBOX") {
    const decoded = utf7Decode(raw);
    if (decoded !== undefined && utf7Encode(decoded) !== raw) {
      throw new ImapNo("CANNOT", "Mailbox name is not canonical modified UTF-7");
    }
    name = decoded ?? raw;
  }
  return name.endsWith("/") ? name.slice(0, -1) : name;
}

/** RFC 3501 §6.3.3 and §6.3.5: a server SHOULD create the superior levels a new name needs. */
export async function createParents(w: Write, accountId: number, name: string): Promise<void> {
  const levels = name.split("/");
  for (let i = 1; i < levels.length; i++) {
    const parent = levels.slice(0, i).join("/");
    if (!(await mailboxFind(w.tx, accountId, parent))) await mailboxCreate(w, accountId, parent);
  }
}
