/**
 * NOTIFY (RFC 5465) for one session: takes the account's changes from the store's change feed,
 * keeps those the client asked for, and sends them when the session may speak (§5: no command in
 * progress, or inside IDLE): LIST for MailboxName and SubscriptionChange, METADATA for the metadata
 * events, STATUS for message events in mailboxes other than the selected one (coalesced per
 * mailbox), and for the selected mailbox its usual EXISTS / EXPUNGE / FETCH as they commit, with
 * MessageNew's fetch attributes for new messages. What waits is bounded: past the bound the client
 * gets `* OK [NOTIFICATIONOVERFLOW]` and notifications stop, as after NOTIFY NONE (§5.8).
 */
import { type Change, mailboxById, mailboxList, mailboxStatus, subscriptionList } from "../store/mod.ts";
import { fetch } from "./commands/fetch.ts";
import type { CommandSession } from "./commands/handler.ts";
import type { ImapContext } from "./context.ts";
import { mailboxName, type Piece } from "./protocol/encode.ts";
import { IMAP_LIMITS } from "./protocol/limits.ts";
import { entryName } from "./protocol/metadata-args.ts";
import type { MailboxFilter, NotifyEvent, NotifySpec } from "./protocol/notify-args.ts";
import { Parser } from "./protocol/parser.ts";
import { sequenceFormat } from "./protocol/sequence.ts";
import type { SelectedMailbox } from "./selected.ts";
import type { SessionState } from "./state.ts";

/** What the notifier needs of its session. */
export interface NotifyHost {
  readonly ctx: ImapContext;
  readonly session: CommandSession;
  /** The session's state now (the selected mailbox changes under the notifier). */
  state(): SessionState;
  /** A command is being read or run (and is not an IDLE waiting for DONE): nothing may be sent. */
  busy(): boolean;
}

function filterMatches(filter: MailboxFilter, name: string, subscribed: ReadonlySet<string>): boolean {
  switch (filter.kind) {
    case "inboxes":
      return name === "INBOX"; // §6: the mailboxes mail is delivered to; here, INBOX alone
    case "personal":
      return true; // every mailbox of the account is in its one personal namespace
    case "subscribed":
      return subscribed.has(name);
    case "subtree":
      return filter.names.some((n) => name === n || name.startsWith(`${n}/`));
    case "mailboxes":
      return filter.names.includes(name);
  }
}

const MESSAGE_EVENT: Partial<Record<Change["kind"], NotifyEvent>> = {
  "message-added": "MessageNew",
  "messages-expunged": "MessageExpunge",
  "flags-changed": "FlagChange",
};

export class Notifier {
  readonly #host: NotifyHost;
  readonly #spec: NotifySpec;
  /** Mailbox id -> name, kept in step by the change feed (message changes carry only the id). */
  readonly #names = new Map<number, string>();
  readonly #subscribed: Set<string>;
  /** Responses waiting, in order, and mailboxes owed a STATUS: together at most the queue bound. */
  #lines: Piece[][] = [];
  #status = new Set<number>();
  #flushing = false;
  #overflowed = false;
  /** Notifications stopped after an overflow (the client must NOTIFY SET again). */
  #off = false;
  /** For MessageNew's fetch attributes: the selection seen last and the highest UID reported. */
  #mailbox: SelectedMailbox | undefined;
  #lastUid = 0;
  /** An event the client asked for happened in the selected mailbox: report its changes now. */
  #selectedDue = false;

  private constructor(host: NotifyHost, spec: NotifySpec, names: Map<number, string>, subscribed: string[]) {
    this.#host = host;
    this.#spec = spec;
    this.#names = names;
    this.#subscribed = new Set(subscribed);
    this.#noteSelection();
  }

  /** Reads what matching needs (the account's mailboxes and subscriptions) and starts listening. */
  static async start(host: NotifyHost, spec: NotifySpec, accountId: number): Promise<Notifier> {
    const read = host.ctx.store.read;
    const boxes = await mailboxList(read, accountId);
    const subscribed = await subscriptionList(read, accountId);
    return new Notifier(host, spec, new Map(boxes.map((b) => [b.id, b.name])), subscribed);
  }

  get #limit(): number {
    return this.#host.ctx.notifyQueueLimit ?? IMAP_LIMITS.maxNotifyQueue;
  }

  /** Whether some non-selected group wants `event` for the mailbox `name`. */
  #wants(event: NotifyEvent, name: string): boolean {
    return this.#spec.groups.some(
      (g) => g.events.has(event) && filterMatches(g.filter, name, this.#subscribed),
    );
  }

  #selected(): SelectedMailbox | undefined {
    const state = this.#host.state();
    return state.kind === "selected" ? state.mailbox : undefined;
  }

  /** The selected mailbox's events as the client asked for them (§6), or undefined for "as IMAP does". */
  get #selectedEvents(): Set<NotifyEvent> | undefined {
    const events = this.#spec.selected?.events;
    return events && events.size > 0 ? events : undefined;
  }

  #noteSelection(): void {
    const mailbox = this.#selected();
    if (mailbox === this.#mailbox) return;
    this.#mailbox = mailbox;
    this.#lastUid = mailbox?.uids[mailbox.uids.length - 1] ?? 0;
  }

  #enqueue(line: Piece[]): void {
    this.#lines.push(line);
    this.#checkBound();
  }

  #checkBound(): void {
    if (this.#lines.length + this.#status.size <= this.#limit) return;
    this.#lines = [];
    this.#status.clear();
    this.#overflowed = true;
  }

  #list(attributes: string, name: string, extra = ""): Piece[] {
    return [`LIST (${attributes}) "/" `, mailboxName(name, this.#host.session.utf8), extra];
  }

  /** Takes in one change of the account (after the selected mailbox took it). */
  take(change: Change): void {
    // After an overflow nothing more is taken: the client is told, and must NOTIFY SET again.
    if (this.#off || this.#overflowed) return;
    this.#track(change);
    const event = MESSAGE_EVENT[change.kind];
    if (event && "mailboxId" in change && change.mailboxId !== null) {
      const selected = this.#selected();
      if (selected && selected.info.id === change.mailboxId) {
        // §6: the selected mailbox reports as IMAP does, but as soon as the session may speak; a
        // flag change the client did not ask for waits for the end of its next command.
        const events = this.#selectedEvents;
        if (events && (event !== "FlagChange" || events.has("FlagChange"))) {
          this.#selectedDue = true;
          this.schedule();
        }
        return;
      }
      const name = this.#names.get(change.mailboxId);
      if (name !== undefined && this.#wants(event, name)) {
        this.#status.add(change.mailboxId);
        this.#checkBound();
        this.schedule();
      }
      return;
    }
    this.#mailboxEvent(change);
    this.schedule();
  }

  /** Keeps the id -> name map and the subscriptions as they are. */
  #track(change: Change): void {
    if (change.kind === "mailbox-created" || change.kind === "mailbox-renamed")
      this.#names.set(change.mailboxId, change.name);
    else if (change.kind === "mailbox-deleted") {
      this.#names.delete(change.mailboxId);
      this.#status.delete(change.mailboxId);
    } else if (change.kind === "subscription-changed") {
      if (change.subscribed) this.#subscribed.add(change.name);
      else this.#subscribed.delete(change.name);
    }
  }

  /** RFC 5464 §4.4.2 entry-list: " name name ...". */
  #entries(names: string[]): Piece[] {
    return names.flatMap((n) => [" ", entryName(n)]);
  }

  #mailboxEvent(change: Change): void {
    switch (change.kind) {
      // §5.4 MailboxName: LIST for a new name, \NonExistent for a gone one, OLDNAME for a rename.
      case "mailbox-created":
        if (this.#wants("MailboxName", change.name)) this.#enqueue(this.#list("", change.name));
        break;
      case "mailbox-deleted":
        if (this.#wants("MailboxName", change.name)) this.#enqueue(this.#list("\\NonExistent", change.name));
        break;
      case "mailbox-renamed":
        if (this.#wants("MailboxName", change.name) || this.#wants("MailboxName", change.oldName)) {
          const old = mailboxName(change.oldName, this.#host.session.utf8);
          this.#enqueue([...this.#list("", change.name, ' ("OLDNAME" ('), old, "))"]);
        }
        break;
      // §5.5 SubscriptionChange: the LIST of the name with or without \Subscribed.
      case "subscription-changed":
        if (this.#wants("SubscriptionChange", change.name))
          this.#enqueue(this.#list(change.subscribed ? "\\Subscribed" : "", change.name));
        break;
      // §5.7-5.8 and RFC 5464 §4.4.2: the unsolicited METADATA with the names of the entries.
      case "metadata-changed": {
        if (change.mailboxId === null) {
          if (this.#spec.groups.some((g) => g.events.has("ServerMetadataChange")))
            this.#enqueue(['METADATA ""', ...this.#entries(change.names)]);
          break;
        }
        const name = this.#names.get(change.mailboxId);
        if (name !== undefined && this.#wants("MailboxMetadataChange", name))
          this.#enqueue([
            "METADATA ",
            mailboxName(name, this.#host.session.utf8),
            ...this.#entries(change.names),
          ]);
        break;
      }
      default:
        break;
    }
  }

  /** Sends what waits, if the session may speak now; call again once it may (after a command, in IDLE). */
  schedule(): void {
    if (this.#flushing || this.#host.busy()) return;
    this.#flushing = true;
    // After the current turn: the change's other listeners (the selected mailbox) have run.
    queueMicrotask(() => {
      this.#flush()
        .catch((error: unknown) =>
          this.#host.ctx.log.error("imap.notify_failed", { session: this.#host.session.id, error }),
        )
        .finally(() => {
          this.#flushing = false;
          if (this.#pending()) this.schedule();
        });
    });
  }

  #pending(): boolean {
    return this.#overflowed || this.#lines.length > 0 || this.#status.size > 0;
  }

  async #flush(): Promise<void> {
    const { session } = this.#host;
    if (this.#overflowed) {
      this.#overflowed = false;
      this.#off = true;
      session.untagged(["OK [NOTIFICATIONOVERFLOW] Too many notifications; NOTIFY is off until NOTIFY SET"]);
      return;
    }
    await this.#flushSelected();
    while (this.#pending() && !this.#host.busy() && !this.#overflowed) {
      const line = this.#lines.shift();
      if (line) {
        if (!session.untagged(line)) await session.drain();
        continue;
      }
      const [id] = this.#status;
      this.#status.delete(id!);
      // Selected since the event: it reports as the selected mailbox does, never by STATUS (§5.2).
      if (id === this.#selected()?.info.id) continue;
      const status = await this.#statusLine(id!);
      if (status && !session.untagged(status)) await session.drain();
    }
  }

  /** §5.2-5.3 for a mailbox that is not selected: what a client shows in its folder list. */
  async #statusLine(mailboxId: number): Promise<Piece[] | undefined> {
    const read = this.#host.ctx.store.read;
    const mailbox = await mailboxById(read, mailboxId);
    if (!mailbox) return undefined;
    const s = await mailboxStatus(read, mailbox);
    const modseq = this.#host.session.condstore ? ` HIGHESTMODSEQ ${s.highestModseq}` : "";
    return [
      "STATUS ",
      mailboxName(s.name, this.#host.session.utf8),
      ` (MESSAGES ${s.messages} UIDNEXT ${s.uidNext} UIDVALIDITY ${s.uidValidity} UNSEEN ${s.unseen}${modseq})`,
    ];
  }

  /** The selected mailbox's pending changes now, and FETCH of MessageNew's attributes for new messages. */
  async #flushSelected(): Promise<void> {
    this.#noteSelection();
    const selected = this.#spec.selected;
    const mailbox = this.#mailbox;
    if (!mailbox || !selected || !this.#selectedEvents) return;
    const { session, ctx } = this.#host;
    // §6 selected-delayed: EXPUNGE waits for a command that may carry it.
    if (this.#selectedDue) await session.flushUpdates(!selected.delayed);
    this.#selectedDue = false;
    if (!selected.fetch) return;
    const fresh: number[] = [];
    for (let i = mailbox.uids.length - 1; i >= 0 && mailbox.uids[i]! > this.#lastUid; i--)
      fresh.unshift(mailbox.uids[i]!);
    if (fresh.length === 0) return;
    this.#lastUid = fresh[fresh.length - 1]!;
    const state = this.#host.state();
    if (state.kind !== "selected") return;
    // §5.2: the FETCH a UID FETCH of the new messages with these attributes would send.
    const parser = new Parser([` ${sequenceFormat(fresh)} ${selected.fetch}`], { utf8: session.utf8 });
    await fetch({ ctx, state, session, parser, uid: true, tag: "*" });
  }

  /** NOTIFY SET STATUS (§3): one STATUS for every mailbox a message event is asked for. */
  async sendStatusAll(): Promise<void> {
    const selectedId = this.#selected()?.info.id;
    for (const [id, name] of [...this.#names].sort((a, b) => (a[1] < b[1] ? -1 : 1))) {
      if (id === selectedId) continue;
      if (!(["MessageNew", "MessageExpunge", "FlagChange"] as const).some((e) => this.#wants(e, name)))
        continue;
      const line = await this.#statusLine(id);
      if (line && !this.#host.session.untagged(line)) await this.#host.session.drain();
    }
  }
}

/** The session's NOTIFY: none, or one notifier, replaced whole by each NOTIFY SET (§3). */
export class NotifySlot {
  #notifier: Notifier | undefined;
  /** Changes that came while a new notifier read its starting point, replayed into it. */
  #backlog: Change[] | undefined;

  take(change: Change): void {
    this.#notifier?.take(change);
    this.#backlog?.push(change);
  }

  schedule(): void {
    this.#notifier?.schedule();
  }

  /** NOTIFY NONE, UNAUTHENTICATE, LOGOUT, a closed connection. */
  clear(): void {
    this.#notifier = undefined;
  }

  /** NOTIFY SET: a new notifier; with spec.status, the STATUS of every mailbox concerned first. */
  async set(host: NotifyHost, spec: NotifySpec, accountId: number): Promise<void> {
    this.#notifier = undefined;
    const backlog: Change[] = [];
    this.#backlog = backlog;
    let notifier: Notifier;
    try {
      notifier = await Notifier.start(host, spec, accountId);
      // What committed while the mailbox list was read: the notifier's names must include it.
      for (const change of backlog) notifier.take(change);
    } finally {
      this.#backlog = undefined;
    }
    this.#notifier = notifier;
    // Changes from here on are queued (the command is running) and go out after its OK.
    if (spec.status) await notifier.sendStatusAll();
  }
}
