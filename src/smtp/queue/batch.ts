/** How due queue items become SMTP transactions. */
import type { QueueItem } from "../../store/mod.ts";
import { QUEUE_LIMITS } from "./limits.ts";

/**
 * Due items as transactions: one per message and destination domain (RFC 5321 §3.3, several RCPTs),
 * split where the DSN parameters differ (nodemailer sends one NOTIFY/ORCPT per envelope) and at the
 * recipient limit. Groups keep the order of the items (oldest due first).
 */
export function groupItems(items: readonly QueueItem[]): QueueItem[][] {
  const groups = new Map<string, QueueItem[]>();
  const out: QueueItem[][] = [];
  for (const item of items) {
    const key = [item.contentId, item.domain, item.sender, item.notify ?? "", item.orcpt ?? ""].join(
      "\u0000",
    );
    let group = groups.get(key);
    if (!group || group.length >= QUEUE_LIMITS.maxRecipientsPerTransaction) {
      group = [];
      groups.set(key, group);
      out.push(group);
    }
    group.push(item);
  }
  return out;
}
