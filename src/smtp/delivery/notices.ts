/**
 * Delivery status notices that are not bounces (RFC 3464, RFC 3461): "delayed" for mail still queued
 * after a while (NOTIFY=DELAY, or no NOTIFY: §4.1 allows delay notices by default), "delivered" for
 * local delivery and "relayed" for a hand-over to a server without DSN when NOTIFY=SUCCESS was asked
 * (§5.2.2.1: a server with DSN takes over the duty to report). Runs inside the caller's write, so a
 * notice commits with the fact it reports. Never for the null sender (RFC 5321 §6.2).
 */
import { contentRaw, type Write } from "../../store/mod.ts";
import { deliverNotice, type NoticeSigner } from "./bounce.ts";
import { type DsnRecipient, dsnBuild } from "./dsn.ts";

/** RFC 3461 §4.1 keywords in a stored NOTIFY value ("SUCCESS,DELAY"). */
function notifyHas(notify: string | null, keyword: string): boolean {
  return (notify ?? "")
    .toUpperCase()
    .split(",")
    .some((n) => n.trim() === keyword);
}

export function wantsSuccessNotice(notify: string | null): boolean {
  return notifyHas(notify, "SUCCESS");
}

/** Without NOTIFY, delay notices are ours to send (RFC 3461 §4.1); NEVER or a list without DELAY stops them. */
export function wantsDelayNotice(notify: string | null): boolean {
  return notify === null || notify.trim() === "" || notifyHas(notify, "DELAY");
}

export interface Notice {
  contentId: number;
  sender: string;
  envid: string | null;
  ret: string | null;
  arrivalDate: Date;
  recipient: DsnRecipient & { action: NonNullable<DsnRecipient["action"]> };
}

/** Sends the notices, one DSN per message, sender and action. Returns how many went into the queue. */
export async function sendNotices(
  w: Write,
  notices: readonly Notice[],
  options: { hostname: string; original?: Uint8Array; sign?: NoticeSigner | undefined },
): Promise<{ queued: number; sent: Array<{ to: string; action: string; result: string }> }> {
  const groups = new Map<string, Notice[]>();
  for (const n of notices) {
    if (n.sender === "") continue;
    const key = `${n.contentId}\u0000${n.sender}\u0000${n.recipient.action}`;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  let queued = 0;
  const sent: Array<{ to: string; action: string; result: string }> = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const original = options.original ?? (await contentRaw(w.tx, first.contentId));
    if (!original) continue;
    const raw = dsnBuild({
      reportingMta: options.hostname,
      sender: first.sender,
      envid: first.envid,
      // A success or delay notice returns the header only: the message itself was not lost.
      ret: "HDRS",
      arrivalDate: first.arrivalDate,
      original,
      recipients: group.map((n) => n.recipient),
    });
    const result = await deliverNotice(w, first.sender, raw, options.sign);
    if (result === "queued") queued++;
    sent.push({ to: first.sender, action: first.recipient.action, result });
  }
  return { queued, sent };
}

/**
 * RFC 3461 §5.2.2.1 / RFC 3464 "delivered": the local recipients of a message whose RCPT asked
 * NOTIFY=SUCCESS (as smtp-server parsed them), as notices for the sender.
 */
export function deliveredNotices(input: {
  rcptTo: ReadonlyArray<{ address: string; dsn?: { notify?: string[]; orcpt?: string } }>;
  /** Lower-cased addresses delivered locally. */
  local: ReadonlySet<string>;
  sender: string;
  envid: string | null;
  arrivalDate: Date;
  hostname: string;
}): Notice[] {
  if (input.sender === "") return [];
  return input.rcptTo
    .filter(
      (r) => input.local.has(r.address.toLowerCase()) && wantsSuccessNotice(r.dsn?.notify?.join(",") ?? null),
    )
    .map((r) => ({
      contentId: 0,
      sender: input.sender,
      envid: input.envid,
      ret: "HDRS",
      arrivalDate: input.arrivalDate,
      recipient: {
        recipient: r.address,
        orcpt: r.dsn?.orcpt ?? null,
        action: "delivered" as const,
        status: "2.0.0",
        remoteMta: null,
        detail: `delivered to a mailbox at ${input.hostname}`,
      },
    }));
}
