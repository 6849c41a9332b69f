/**
 * NOTIFY (RFC 5465 §3): `NOTIFY SET [STATUS] event-groups` replaces what the session is told
 * about unasked, `NOTIFY NONE` ends it. Events we do not report (AnnotationChange, or any other
 * name) are a tagged NO, not BAD, with `[BADEVENT (every event we do)]` (§3.1), once the group
 * keeps §5's rules (AnnotationChange without MessageNew and MessageExpunge is BAD); MessageNew's fetch attributes are checked as a
 * UID FETCH would check them, and may not set \Seen (a notification must not change the mailbox).
 * The notifier itself is ../notifier.ts.
 */
import { ImapBad, ImapNo } from "../errors.ts";
import { parseFetchPlan } from "../fetch/items.ts";
import { fetchNeeds } from "../fetch/render.ts";
import { IMAP_LIMITS } from "../protocol/limits.ts";
import { NOTIFY_EVENTS, notifyArgs } from "../protocol/notify-args.ts";
import { Parser } from "../protocol/parser.ts";
import type { AuthenticatedCommand } from "./handler.ts";

export async function notify({ session, parser }: AuthenticatedCommand): Promise<string> {
  const spec = notifyArgs(parser);
  if (spec && spec.unsupported.length > 0)
    throw new ImapNo(`BADEVENT (${NOTIFY_EVENTS.join(" ")})`, `Unsupported event ${spec.unsupported[0]}`);
  const names = spec?.groups.reduce((n, g) => n + ("names" in g.filter ? g.filter.names.length : 0), 0) ?? 0;
  if (names > IMAP_LIMITS.maxNotifyMailboxNames)
    throw new ImapNo("LIMIT", `NOTIFY names at most ${IMAP_LIMITS.maxNotifyMailboxNames} mailboxes`);
  const fetch = spec?.selected?.fetch;
  if (fetch) {
    const attributes = new Parser([fetch]);
    const plan = parseFetchPlan(attributes);
    attributes.end();
    if (plan.changedSince !== undefined || plan.vanished)
      throw new ImapBad(undefined, "MessageNew takes fetch attributes, not modifiers");
    if (fetchNeeds(plan.items).setsSeen)
      throw new ImapBad(undefined, "MessageNew may not set \\Seen: use BODY.PEEK");
  }
  await session.notify(spec);
  return spec ? "NOTIFY completed" : "NOTIFY NONE completed";
}
