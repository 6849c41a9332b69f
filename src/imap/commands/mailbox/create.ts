/**
 * CREATE (RFC 3501 §6.3.3) with CREATE-SPECIAL-USE (RFC 6154 §3): `CREATE name [(USE (\Attr))]`.
 * Missing superior levels are created too; everything happens in one write, so a failure leaves
 * nothing behind.
 */
import { mailboxCreate, mailboxFind, mailboxNameNormalize } from "../../../store/mod.ts";
import { ImapBad, ImapNo } from "../../errors.ts";
import { mailboxId } from "../../object-id.ts";
import type { Parser } from "../../protocol/parser.ts";
import type { AuthenticatedCommand } from "../handler.ts";
import { createParents, newMailboxName } from "./names.ts";

/**
 * The special uses a real mailbox can carry. \All and \Flagged describe virtual mailboxes (RFC 6154 §2),
 * which we do not have, so asking for them is refused with USEATTR like an unknown one.
 */
const SPECIAL_USES = new Map(
  ["\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash"].map((u) => [u.toLowerCase(), u]),
);

export async function create({ ctx, state, parser }: AuthenticatedCommand): Promise<string> {
  const { account } = state;
  parser.sp();
  const raw = parser.astring();
  const uses = createParams(parser);
  parser.end();
  const name = newMailboxName(raw);
  const specialUse = specialUseOf(uses);
  const created = await ctx.store.write(async (w) => {
    const normalized = mailboxNameNormalize(name);
    if (await mailboxFind(w.tx, account.id, normalized)) {
      throw new ImapNo("ALREADYEXISTS", `Mailbox ${normalized} already exists`);
    }
    await createParents(w, account.id, normalized);
    return mailboxCreate(w, account.id, normalized, { specialUse });
  });
  // RFC 8474 §4.1: the new mailbox's MAILBOXID in the tagged OK.
  return `[MAILBOXID (${mailboxId(created.id)})] CREATE completed`;
}

/** create-params (RFC 4466 §2.2): only USE (RFC 6154 §3) is known; anything else is BAD. */
function createParams(parser: Parser): string[] {
  const uses: string[] = [];
  if (!parser.take(" ")) return uses;
  parser.list(() => {
    const param = parser.atom().toUpperCase();
    if (param !== "USE") throw new ImapBad(undefined, `Unknown CREATE parameter ${param.slice(0, 40)}`);
    parser.sp();
    uses.push(...parser.list(() => parser.flag()));
    return param;
  });
  return uses;
}

/** RFC 6154 §3: a use we cannot assign is NO [USEATTR], and the mailbox is not created. */
function specialUseOf(uses: readonly string[]): string | null {
  if (uses.length === 0) return null;
  if (uses.length > 1) throw new ImapNo("USEATTR", "A mailbox can have only one special use here");
  const use = SPECIAL_USES.get(uses[0]!.toLowerCase());
  if (!use) throw new ImapNo("USEATTR", `Special use ${uses[0]!.slice(0, 40)} is not supported`);
  return use;
}
