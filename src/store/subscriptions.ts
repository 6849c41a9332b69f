/**
 * An account's subscriptions (RFC 3501 §6.3.6-7, §6.3.9): a list of names, kept apart from the
 * mailboxes. "The server MUST NOT unilaterally remove an existing mailbox name from the
 * subscription list even if a mailbox by that name no longer exists" (§6.3.6), so DELETE leaves the
 * name here and LSUB / LIST (SUBSCRIBED) go on showing it until UNSUBSCRIBE. CREATE adds nothing:
 * clients subscribe what they want themselves; only the folders a new account starts with come
 * subscribed (accounts.ts). RENAME carries the subscriptions of the renamed names along.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Reader, Write } from "./db.ts";
import { StoreError } from "./errors.ts";
import { subscriptions } from "./schema.ts";

/**
 * Subscriptions one account may hold, as a multiple of its mailbox limit: names outlive their
 * mailboxes, so without a bound a create-subscribe-delete loop would grow the list (and every LSUB
 * and LIST (SUBSCRIBED) of the account) without end.
 */
const SUBSCRIPTIONS_PER_MAILBOX_ALLOWED = 2;

/** The subscribed names of an account, in code-point order. */
export async function subscriptionList(r: Reader, accountId: number): Promise<string[]> {
  const rows = await r
    .select({ name: subscriptions.name })
    .from(subscriptions)
    .where(eq(subscriptions.accountId, accountId))
    .orderBy(asc(subscriptions.name));
  return rows.map((row) => row.name);
}

/**
 * Subscribes a name, spelled as mailboxNameNormalize() returns it (callers normalize: this file sits
 * below mailboxes.ts); a name already subscribed stays so.
 */
export async function subscriptionAdd(w: Write, accountId: number, normalized: string): Promise<void> {
  const max = w.limits.maxMailboxesPerAccount * SUBSCRIPTIONS_PER_MAILBOX_ALLOWED;
  const [row] = await w.tx
    .select({ n: sql<number>`count(*)` })
    .from(subscriptions)
    .where(eq(subscriptions.accountId, accountId));
  if ((row?.n ?? 0) >= max) {
    const [already] = await w.tx
      .select({ name: subscriptions.name })
      .from(subscriptions)
      .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.name, normalized)));
    if (already) return;
    throw new StoreError(
      "limit",
      `the account has ${max} subscriptions, the most allowed; unsubscribe some first`,
    );
  }
  const added = await w.tx
    .insert(subscriptions)
    .values({ accountId, name: normalized })
    .onConflictDoNothing()
    .returning({ name: subscriptions.name });
  if (added.length > 0)
    w.changed({ kind: "subscription-changed", accountId, name: normalized, subscribed: true });
}

/** Unsubscribes a (normalized) name, whether or not a mailbox has it; returns whether it was subscribed. */
export async function subscriptionRemove(w: Write, accountId: number, normalized: string): Promise<boolean> {
  const gone = await w.tx
    .delete(subscriptions)
    .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.name, normalized)))
    .returning({ name: subscriptions.name });
  if (gone.length > 0)
    w.changed({ kind: "subscription-changed", accountId, name: normalized, subscribed: false });
  return gone.length > 0;
}

/**
 * RENAME: the subscriptions of `from` and of the names below it follow the mailboxes to `to`.
 * A subscription already held under a new name is kept as it is.
 */
export async function subscriptionsRename(
  w: Write,
  accountId: number,
  from: string,
  to: string,
): Promise<void> {
  const rows = await w.tx
    .select({ name: subscriptions.name })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.accountId, accountId),
        sql`(${subscriptions.name} = ${from} OR (${subscriptions.name} > ${`${from}/`} AND ${subscriptions.name} < ${`${from}0`}))`,
      ),
    );
  for (const { name } of rows) {
    await w.tx
      .delete(subscriptions)
      .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.name, name)));
    await w.tx
      .insert(subscriptions)
      .values({ accountId, name: to + name.slice(from.length) })
      .onConflictDoNothing();
  }
}
