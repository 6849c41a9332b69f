/**
 * The maildrop of a session: the account's INBOX as it was at login (RFC 1939 §8 lets a server fix
 * the message list for the session; messages that arrive later wait for the next one, and message
 * numbers never change). Removals by other sessions (POP3 or IMAP) are learnt from the store's change
 * notifications, so this session answers -ERR for those messages instead of failing. Which of its
 * messages a session still lists (DELE marks) is message-numbers.ts.
 */
import { type Change, mailboxGet, messagesOfMailbox, SEEN, type Store } from "../store/mod.ts";

export interface MaildropMessage {
  uid: number;
  contentId: number;
  /** The stored octets: what LIST and STAT report, and what RETR sends before dot-stuffing. */
  size: number;
  seen: boolean;
}

export interface Maildrop {
  mailbox: { id: number; accountId: number; uidValidity: number };
  /** Message n is messages[n - 1], in UID order. */
  messages: MaildropMessage[];
  /** UIDs removed elsewhere since the snapshot. */
  vanished: Set<number>;
  /** Stops listening for changes. */
  close(): void;
}

export async function maildropOpen(store: Store, accountId: number): Promise<Maildrop> {
  // Listen before reading, so that a removal committed between our two reads is not missed.
  const early: Change[] = [];
  let maildrop: Maildrop | undefined;
  const unsubscribe = store.changes.subscribe(accountId, (change) => {
    if (maildrop) apply(maildrop, change);
    else early.push(change);
  });
  try {
    const inbox = await mailboxGet(store.read, accountId, "INBOX");
    const rows = await messagesOfMailbox(store.read, inbox.id);
    const opened: Maildrop = {
      mailbox: { id: inbox.id, accountId, uidValidity: inbox.uidValidity },
      messages: rows.map((m) => ({
        uid: m.uid,
        contentId: m.contentId,
        size: m.size,
        seen: (m.flags & SEEN) !== 0,
      })),
      vanished: new Set(),
      close: unsubscribe,
    };
    for (const change of early) apply(opened, change);
    maildrop = opened;
    return opened;
  } catch (error) {
    unsubscribe();
    throw error;
  }
}

function apply(maildrop: Maildrop, change: Change): void {
  if (change.kind === "messages-expunged" && change.mailboxId === maildrop.mailbox.id) {
    for (const uid of change.uids) maildrop.vanished.add(uid);
  } else if (change.kind === "account-deleted") {
    for (const m of maildrop.messages) maildrop.vanished.add(m.uid);
  }
}

/**
 * The unique-id listing of a message (RFC 1939 §7 UIDL): the same for the message forever, across
 * sessions and restarts, and never reused. UIDVALIDITY changes whenever a mailbox name is re-created,
 * so the pair is unique even if UIDs start over. 0x21-0x7E only, at most 70 characters.
 */
export function uniqueId(maildrop: Maildrop, message: MaildropMessage): string {
  return `${maildrop.mailbox.uidValidity}.${message.uid}`;
}
