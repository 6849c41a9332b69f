/**
 * The store's change feed, published after each commit, turned into live events: message.received,
 * message.deleted and message.flags, each with the account's address, the mailbox's name and (for a
 * new message) the summary a test or a UI wants: id, subject, from, to, size.
 *
 * Those names take reads, and events must keep the order of the commits: changes wait in one queue
 * and are described in batches by one loop, one read per batch. The queue is bounded
 * (EVENT_LIMITS.maxPendingChanges): past it, changes are published at once with what the change
 * itself carries (ids, no names), so a flood costs no memory and loses no event.
 */
import type { Logger } from "../log.ts";
import {
  type AddedMessage,
  accountAddressesOf,
  type Change,
  flagNames,
  mailboxNamesOf,
  messagesAdded,
  type Store,
} from "../store/mod.ts";
import { EVENT_LIMITS } from "./limits.ts";
import type { EventSink } from "./types.ts";

type Described = Extract<Change, { kind: "message-added" | "flags-changed" | "messages-expunged" }>;
type Added = Extract<Change, { kind: "message-added" }>;

const wanted = (change: Change): change is Described =>
  change.kind === "message-added" || change.kind === "flags-changed" || change.kind === "messages-expunged";

/** Starts feeding `sink` from `store.changes`; returns the stop. */
export function feedStoreEvents(options: { store: Store; sink: EventSink; log: Logger }): () => void {
  const { store, sink, log } = options;
  const accounts = new BoundedNames(EVENT_LIMITS.maxCachedNames);
  const mailboxes = new BoundedNames(EVENT_LIMITS.maxCachedNames);
  let pending: Described[] = [];
  /** The batch being described; taken away (published undescribed) when a flood overflows. */
  let current: Described[] | undefined;
  let running = false;
  let stopped = false;

  const unsubscribe = store.changes.subscribeAll((change) => {
    if (stopped) return;
    // A renamed mailbox is called by its new name from now on.
    if (change.kind === "mailbox-renamed") mailboxes.set(change.mailboxId, change.name);
    if (!wanted(change)) return;
    if (pending.length >= EVENT_LIMITS.maxPendingChanges) {
      // Overflow: everything queued goes out now, undescribed but in order, then this one.
      const flood = [...(current ?? []), ...pending];
      current = undefined;
      pending = [];
      for (const c of flood) publish(c, undefined);
      publish(change, undefined);
      return;
    }
    pending.push(change);
    if (running) return;
    // Not now: this runs inside the commit's settlement, before the writes it settles have answered
    // their clients (SMTP's 250, IMAP's tagged OK), and the description is a read. After this turn
    // the replies are out, and the changes of the commits in between join the same batch and read.
    running = true;
    setImmediate(() => void drain());
  });

  async function drain(): Promise<void> {
    running = true;
    try {
      while (pending.length > 0 && !stopped) {
        const batch = pending.splice(0, EVENT_LIMITS.changesPerBatch);
        current = batch;
        let added: Map<string, AddedMessage> | undefined;
        try {
          added = await describe(batch);
        } catch (error) {
          log.error("events.describe_failed", { error });
        }
        // Unless an overflow published it meanwhile.
        if (current === batch) for (const change of batch) publish(change, added);
        current = undefined;
      }
    } finally {
      running = false;
    }
  }

  /** Reads what the batch needs: the new messages' summaries, and names missing from the caches. */
  async function describe(batch: readonly Described[]): Promise<Map<string, AddedMessage>> {
    // A message the ingest stored carries its summary; COPY and MOVE's are read.
    const positions = batch
      .filter((c): c is Added => c.kind === "message-added" && c.summary === undefined)
      .map((c) => ({ mailboxId: c.mailboxId, uid: c.uid }));
    const found = positions.length > 0 ? await messagesAdded(store.read, positions, false) : [];
    const added = new Map(found.map((m) => [`${m.mailboxId}:${m.uid}`, m]));
    for (const m of found) {
      accounts.set(m.accountId, m.account);
      mailboxes.set(m.mailboxId, m.mailbox);
    }
    const accountIds = batch.map((c) => c.accountId).filter((id) => !accounts.has(id));
    const mailboxIds = batch.map((c) => c.mailboxId).filter((id) => !mailboxes.has(id));
    if (accountIds.length > 0)
      for (const [id, name] of await accountAddressesOf(store.read, accountIds)) accounts.set(id, name);
    if (mailboxIds.length > 0)
      for (const [id, name] of await mailboxNamesOf(store.read, mailboxIds)) mailboxes.set(id, name);
    return added;
  }

  function publish(change: Described, added: Map<string, AddedMessage> | undefined): void {
    const account = accounts.get(change.accountId) ?? null;
    const where = {
      accountId: change.accountId,
      mailboxId: change.mailboxId,
      mailbox: mailboxes.get(change.mailboxId) ?? null,
    };
    if (change.kind === "message-added") {
      const m = change.summary ?? added?.get(`${change.mailboxId}:${change.uid}`);
      sink.publish("message.received", account, {
        ...where,
        uid: change.uid,
        ...(m
          ? {
              id: m.id,
              subject: m.subject,
              from: m.from,
              to: m.to,
              size: m.size,
              internalDate: m.internalDate,
            }
          : {}),
      });
    } else if (change.kind === "flags-changed") {
      sink.publish("message.flags", account, {
        ...where,
        uid: change.uid,
        flags: flagNames(change.flags, change.keywords),
      });
    } else {
      sink.publish("message.deleted", account, { ...where, uids: change.uids });
    }
  }

  return () => {
    stopped = true;
    pending = [];
    unsubscribe();
  };
}

/** A Map that forgets its oldest entry past `max`: names of accounts and mailboxes seen lately. */
class BoundedNames {
  readonly #map = new Map<number, string>();
  constructor(readonly max: number) {}
  has(id: number): boolean {
    return this.#map.has(id);
  }
  get(id: number): string | undefined {
    return this.#map.get(id);
  }
  set(id: number, name: string): void {
    this.#map.delete(id);
    this.#map.set(id, name);
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value!);
  }
}
