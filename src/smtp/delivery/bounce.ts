/**
 * Final failures: remove the queue items and tell their sender with a DSN (RFC 3464), in the same
 * write, so the bounce and the removal commit together (a crash can lose neither one alone).
 * The DSN goes from MAILER-DAEMON with the null reverse-path: into the sender's INBOX when the sender
 * is local, back into the queue otherwise. Never for a bounce (RFC 5321 §6.2: sender "") and never
 * when the sender asked not to hear of failures (RFC 3461 §4.1 NOTIFY).
 */
import { parseMessage } from "../../mime/mod.ts";
import {
  contentRaw,
  messageIngest,
  type QueueItem,
  queueRemove,
  type Reader,
  recipientResolve,
  type Write,
} from "../../store/mod.ts";
import { type DsnRecipient, dsnBuild } from "./dsn.ts";

export interface DeliveryFailure {
  item: QueueItem;
  /** RFC 3463 status of the failure. */
  status: string;
  reply?: string | null;
  detail?: string | null;
  remoteMta?: string | null;
  lastAttempt?: Date | null;
}

export interface BounceOutcome {
  /** Items that were still queued and are now gone (an admin may have removed the others first). */
  removed: QueueItem[];
  /** One entry per DSN considered: who it was for and what became of it. */
  notices: Array<{
    to: string;
    contentId: number;
    result: "delivered" | "queued" | "suppressed" | "undeliverable";
  }>;
  /** A DSN was queued for remote delivery: the runner should look at the queue. */
  queued: boolean;
}

/**
 * Signs a DSN that leaves for another server (DKIM, src/auth/outgoing.ts), reading keys through the
 * open write's transaction; the message unchanged when no key applies.
 */
export type NoticeSigner = (raw: Uint8Array, reader: Reader) => Promise<Uint8Array>;

/** RFC 3461 §4.1: without NOTIFY the default is to report failures; NEVER (or no FAILURE) silences them. */
export function wantsFailureNotice(notify: string | null): boolean {
  if (notify === null || notify.trim() === "") return true;
  return notify
    .toUpperCase()
    .split(",")
    .some((n) => n.trim() === "FAILURE");
}

/** Removes failed items and bounces them to their senders; runs inside the caller's write. */
export async function bounceFailures(
  w: Write,
  failures: readonly DeliveryFailure[],
  options: { hostname: string; sign?: NoticeSigner | undefined },
): Promise<BounceOutcome> {
  const outcome: BounceOutcome = { removed: [], notices: [], queued: false };
  // One DSN per original message and sender, listing all its failed recipients.
  const groups = new Map<string, DeliveryFailure[]>();
  for (const f of failures) {
    const key = `${f.item.contentId}\u0000${f.item.sender}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const group of groups.values()) {
    const first = group[0]!.item;
    // Read the original before removing the items: the last removal deletes the orphaned content.
    const original = await contentRaw(w.tx, first.contentId);
    const removed: DeliveryFailure[] = [];
    for (const f of group) {
      const item = await queueRemove(w, f.item.id);
      if (item) {
        outcome.removed.push(item);
        removed.push(f);
      }
    }
    const noticed = removed.filter((f) => wantsFailureNotice(f.item.notify));
    if (removed.length === 0) continue;
    if (first.sender === "" || noticed.length === 0 || !original) {
      outcome.notices.push({ to: first.sender, contentId: first.contentId, result: "suppressed" });
      continue;
    }
    const recipients: DsnRecipient[] = noticed.map((f) => ({
      recipient: f.item.recipient,
      orcpt: f.item.orcpt,
      status: f.status,
      remoteMta: f.remoteMta ?? null,
      reply: f.reply ?? null,
      detail: f.detail ?? null,
      lastAttempt: f.lastAttempt ?? null,
    }));
    const raw = dsnBuild({
      reportingMta: options.hostname,
      sender: first.sender,
      envid: first.envid,
      ret: first.ret,
      arrivalDate: new Date(first.createdAt),
      original,
      recipients,
    });
    const result = await deliverNotice(w, first.sender, raw, options.sign);
    if (result === "queued") outcome.queued = true;
    outcome.notices.push({ to: first.sender, contentId: first.contentId, result });
  }
  return outcome;
}

/** Puts a DSN where the original sender will find it, through the one ingest path. */
export async function deliverNotice(
  w: Write,
  sender: string,
  dsn: Uint8Array,
  sign: NoticeSigner | undefined,
): Promise<"delivered" | "queued" | "undeliverable"> {
  let raw = dsn;
  const resolution = await recipientResolve(w.tx, sender);
  if (resolution.kind === "local") {
    const accounts = resolution.accounts.filter((a) => !a.disabled);
    if (accounts.length === 0) return "undeliverable";
    // What a delivering MTA would have added (RFC 5321 §4.4): the null reverse-path.
    const local = Buffer.concat([Buffer.from("Return-Path: <>\r\n"), raw]);
    const targets = [...new Set(accounts.map((a) => a.id))].map((accountId) => ({
      accountId,
      mailboxName: "INBOX",
    }));
    await messageIngest(w, { raw: local, parsed: parseMessage(local), targets });
    return "delivered";
  }
  if (resolution.kind === "remote") {
    // Issue 11: a DSN we send out is DKIM-signed, once, as it is queued.
    if (sign) raw = await sign(raw, w.tx);
    await messageIngest(w, {
      raw,
      parsed: parseMessage(raw),
      targets: [],
      queue: { sender: "", recipients: [{ address: sender }] },
    });
    return "queued";
  }
  // A local domain without that user, or an address we cannot parse: nobody to tell.
  return "undeliverable";
}
