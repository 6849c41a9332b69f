/**
 * QUOTA (RFC 9208) on the account's quota: one quota root, "", covers every mailbox of the account,
 * with the STORAGE resource (the byte quota, in units of 1024 octets, §5.1) and the MESSAGE resource
 * (the message-count quota, §5.2); a resource the account has no limit on is left out of the list
 * (§4.2.1: "Resources not named in the list are not limited"). Limits are the administrator's (REST
 * API): QUOTASET is not advertised and SETQUOTA is NO. STATUS DELETED and DELETED-STORAGE, which
 * §§5.1-5.2 require with these resources, are in mailbox/status-items.ts.
 */
import { accountMessageCount, accountsById } from "../../store/mod.ts";
import { ImapNo } from "../errors.ts";
import { mailboxName, type Piece, str } from "../protocol/encode.ts";
import type { AuthenticatedCommand } from "./handler.ts";

/** The one quota root: the whole account. */
const ROOT = "";

/** `QUOTA "" (STORAGE used limit MESSAGE used limit)` from the account as it is now. */
async function quotaResponse({ ctx, state }: AuthenticatedCommand): Promise<Piece[]> {
  const [account] = await accountsById(ctx.store.read, [state.account.id]);
  if (!account) throw new ImapNo("NONEXISTENT", "The account no longer exists");
  const resources: string[] = [];
  // RFC 9208 §5.1: units of 1024 octets; usage rounded up, the limit down, so usage never looks lower
  // than it is nor the room larger.
  if (account.quota !== null)
    resources.push(`STORAGE ${Math.ceil(account.usedBytes / 1024)} ${Math.floor(account.quota / 1024)}`);
  // §5.2: the exact number of messages.
  if (account.quotaMessages !== null)
    resources.push(
      `MESSAGE ${await accountMessageCount(ctx.store.read, account.id)} ${account.quotaMessages}`,
    );
  return ["QUOTA ", str(ROOT), ` (${resources.join(" ")})`];
}

/** RFC 9208 §4.1.1: GETQUOTA quota-root. */
export async function getquota(command: AuthenticatedCommand): Promise<undefined> {
  const { session, parser } = command;
  parser.sp();
  const root = parser.astring();
  parser.end();
  if (root !== ROOT) throw new ImapNo("NONEXISTENT", "No such quota root");
  session.untagged(await quotaResponse(command));
  return undefined;
}

/**
 * RFC 9208 §4.1.2: GETQUOTAROOT mailbox. Every name of the account, existing or not yet, is under
 * the account's root ("can be handy in order to determine which quota root would apply to a mailbox
 * when it gets created").
 */
export async function getquotaroot(command: AuthenticatedCommand): Promise<undefined> {
  const { session, parser } = command;
  parser.sp();
  const name = parser.mailbox();
  parser.end();
  session.untagged(["QUOTAROOT ", mailboxName(name, session.utf8), " ", str(ROOT)]);
  session.untagged(await quotaResponse(command));
  return undefined;
}

/**
 * RFC 9208 §4.1.3: SETQUOTA quota-root "(" [resource-name SP limit *(...)] ")". Parsed, so a malformed
 * one is BAD, then refused: a user does not set their own quota (QUOTASET is not advertised).
 */
export async function setquota({ parser }: AuthenticatedCommand): Promise<undefined> {
  parser.sp();
  parser.astring();
  parser.sp();
  parser.list(() => {
    const resource = parser.atom();
    parser.sp();
    parser.number();
    return resource;
  });
  parser.end();
  throw new ImapNo("NOPERM", "Quotas are set by the administrator");
}
