/**
 * The REST view of one message (GET .../messages/{id}): its place (account, mailbox, UID, flags) and
 * the parsed content. Every route that answers with a message (the account-scoped and the global
 * GET, the wait-for-message) builds it here, so an addition to the view reaches them all.
 */
import { type MimePart, messageJson, messageJsonParts } from "../mime/mod.ts";
import { spamViewOf } from "../spam/mod.ts";
import {
  accountsById,
  contentAuthentication,
  contentView,
  flagNames,
  type Message,
  mailboxById,
  type Reader,
} from "../store/mod.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** The view, or undefined when the message (or its content) is gone by the time it is read. */
export async function messageView(r: Reader, message: Message) {
  // Parse once (STYLE.md): the structure stored at delivery says which bytes the view needs (the
  // header, the text and HTML bodies, base64 attachments to size), and only those are read.
  const [view, mailbox, authentication] = await Promise.all([
    contentView(r, message.contentId, messageJsonParts),
    mailboxById(r, message.mailboxId),
    contentAuthentication(r, message.contentId),
  ]);
  if (!view || !mailbox) return undefined;
  const body = (part: MimePart): Uint8Array => {
    const bytes = view.bodies.get(part);
    if (!bytes) throw new Error(`part ${part.partId} was not read`);
    return bytes;
  };
  return {
    id: message.id,
    uid: message.uid,
    mailbox: mailbox.name,
    flags: flagNames(message.flags, message.keywords),
    size: message.size,
    internalDate: iso(message.internalDate),
    ...messageJson(view, { header: view.header, body }),
    // SPF/DKIM/DMARC/ARC as checked on arrival (port 25 without AUTH); null for anything else.
    authentication,
    // Issue 14: the spam check's verdict, from the X-Spam-* fields written at delivery.
    spam: spamViewOf(view.header),
  };
}

/**
 * The view with the owning account's address first: for the routes that find a message by its
 * global id (`/api/v1/messages/{id}`, the wait), whose caller may not know whose it is.
 */
export async function messageViewWithAccount(r: Reader, message: Message) {
  const [view, [account]] = await Promise.all([
    messageView(r, message),
    accountsById(r, [message.accountId]),
  ]);
  if (!view || !account) return undefined;
  return { account: account.address, ...view };
}
