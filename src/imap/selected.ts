/**
 * The selected mailbox as one session sees it: the sequence-number -> UID map, the changes other
 * writers made that this session has not been told about yet, and the per-session state RFC 3501
 * puts on a selection: which messages are \Recent here (§2.3.2), which keywords the client has
 * heard of (§7.2.6), the saved search result (RFC 5182) and whether HIGHESTMODSEQ was reported since
 * CONDSTORE came on (RFC 7162 §3.1). Changes arrive from the store's hub at any time; they are
 * reported only at the points RFC 3501 §7 allows (`flush()`), so sequence numbers stay consistent
 * for the client: an expunged message keeps its number until EXPUNGE is sent.
 */
import type { Change, RecentView } from "../store/mod.ts";
import { flagList, MailboxFlags } from "./mailbox-flags.ts";
import type { Piece } from "./protocol/encode.ts";
import { lowerBound, type SequenceSet, sequenceFormat, sequenceSelect } from "./protocol/sequence.ts";
import { RecentSet } from "./recent-set.ts";
import { SearchContexts } from "./search-contexts.ts";

export interface SelectedInfo {
  id: number;
  accountId: number;
  name: string;
  uidValidity: number;
  readOnly: boolean;
  /**
   * The session ENABLEd IMAP4rev2, which has no \Recent (RFC 9051 §9 obsolete-flag-recent,
   * obsolete-recent-response; Appendix E): it neither takes \Recent nor reports it, so the
   * messages stay recent for the next IMAP4rev1 session. ENABLE IMAP4rev2 is refused while a
   * mailbox is selected (enable.ts), so this holds for the whole selection.
   */
  rev2: boolean;
}

/** What SELECT read besides the UIDs: the mailbox's keyword set and HIGHESTMODSEQ. */
export interface SelectedStart {
  keywords: readonly string[];
  highestModseq: number;
  /** The session's hold on the mailbox's \Recent watermark (store/recent.ts). */
  recent: RecentView;
}

export interface FlushOptions {
  /** RFC 3501 §7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH (non-UID forms). */
  allowExpunge: boolean;
  /** CONDSTORE enabled: unsolicited FETCH carries MODSEQ (RFC 7162 §3.2.4). */
  condstore: boolean;
  /** QRESYNC enabled: report removals as VANISHED (RFC 7162 §3.2.10) instead of EXPUNGE. */
  qresync: boolean;
  /** UIDONLY enabled (RFC 9586 §3.2-3.3): VANISHED for removals, UIDFETCH for flag changes. */
  uidOnly?: boolean;
}

export class SelectedMailbox {
  readonly info: SelectedInfo;
  /** UIDs in ascending order; index i holds the message with sequence number i + 1. */
  uids: number[];
  /** The keywords the client has heard of in FLAGS (RFC 3501 §7.2.6). */
  readonly flags: MailboxFlags;
  #pendingAdds: number[] = [];
  /** Expunged elsewhere and not yet reported: UID -> the MODSEQ of the removal. */
  readonly #pendingExpunges = new Map<number, number>();
  readonly #pendingFlags = new Map<number, { flags: number; keywords: string[]; modseq: number }>();
  /** Flag changes this session made itself with .SILENT, by UID and MODSEQ: not echoed back. */
  readonly #silent = new Map<number, number>();
  readonly #recentView: RecentView;
  readonly #recent = new RecentSet();
  /** The highest MODSEQ of the changes applied so far (SELECT's HIGHESTMODSEQ, then each change). */
  #modseq: number;
  /** RFC 7162 §3.1: HIGHESTMODSEQ was reported to this session with CONDSTORE on. */
  #modseqReported = false;
  /** RFC 5182: the last SEARCH ... RETURN (SAVE) result, as UIDs ("$"). */
  #saved: number[] = [];
  /** RFC 5267 §4.3: the SEARCH / SORT results kept up to date (RETURN (UPDATE)); they end with the selection. */
  readonly contexts = new SearchContexts();
  /** Called when a change arrives (IDLE uses it to report at once). */
  onPending: (() => void) | undefined;

  constructor(info: SelectedInfo, start: SelectedStart) {
    this.info = info;
    this.uids = [];
    this.flags = new MailboxFlags(start.keywords, info.readOnly);
    this.#modseq = start.highestModseq;
    this.#recentView = start.recent;
  }

  /**
   * Sets the view read at SELECT; changes that arrived meanwhile and are already in it are dropped.
   * The messages above the \Recent watermark become recent here: taken for this session by SELECT,
   * only seen by EXAMINE (RFC 3501 §6.3.2: EXAMINE does not take \Recent away).
   */
  load(uids: number[]): void {
    this.uids = uids;
    // Only changes that raced with the read need checking; usually there are none.
    this.#pendingAdds = this.#pendingAdds.filter((u) => this.seqOf(u) === 0);
    for (const u of this.#pendingExpunges.keys()) if (this.seqOf(u) === 0) this.#pendingExpunges.delete(u);
    this.#takeRecent(uids[uids.length - 1] ?? 0);
  }

  /** The session leaves the mailbox (CLOSE, UNSELECT, another SELECT, DELETE, logout, a dropped connection). */
  close(): void {
    this.#recentView.close();
  }

  get exists(): number {
    return this.uids.length;
  }

  /** RFC 3501 §7.3.2: how many of the messages in this session's view are \Recent here. */
  get recentCount(): number {
    return this.#recent.count(this.uids);
  }

  isRecent(uid: number): boolean {
    return this.#recent.has(uid);
  }

  /** Sequence number of a UID, or 0 when it is not (or no longer) in this session's view. */
  seqOf(uid: number): number {
    const i = lowerBound(this.uids, uid);
    return this.uids[i] === uid ? i + 1 : 0;
  }

  uidOf(seq: number): number | undefined {
    return this.uids[seq - 1];
  }

  /**
   * The UIDs a set names: UIDs directly, or sequence numbers mapped to UIDs; "$" is the saved
   * search result (RFC 5182 §2.1), less what has been expunged since, in either form.
   */
  resolve(set: SequenceSet, byUid: boolean): number[] {
    if (set.saved) return this.#saved.filter((u) => this.seqOf(u) !== 0);
    if (byUid) return sequenceSelect(set, this.uids);
    const n = this.uids.length;
    const picked = new Set<number>();
    for (const r of set.ranges) {
      const a = r.from ?? n;
      const b = r.to ?? n;
      for (let seq = Math.max(1, Math.min(a, b)); seq <= Math.min(n, Math.max(a, b)); seq++) picked.add(seq);
    }
    return [...picked].sort((x, y) => x - y).map((seq) => this.uids[seq - 1]!);
  }

  /** RFC 5182: SEARCH ... RETURN (SAVE) keeps its result (UIDs, ascending) for "$". */
  saveResult(uids: readonly number[]): void {
    this.#saved = [...uids];
  }

  /** Whether the message has been expunged by someone else and not yet reported. */
  isExpungedPending(uid: number): boolean {
    return this.#pendingExpunges.has(uid);
  }

  /** The messages with changes not reported yet: what a new search context must judge again. */
  pendingUids(): number[] {
    return [...this.#pendingAdds, ...this.#pendingFlags.keys()];
  }

  hasPending(): boolean {
    return this.#pendingAdds.length > 0 || this.#pendingExpunges.size > 0 || this.#pendingFlags.size > 0;
  }

  markSilent(uid: number, modseq: number): void {
    this.#silent.set(uid, modseq);
  }

  /** Takes in a change from the store (only those for this mailbox matter). */
  apply(change: Change): void {
    if (!("mailboxId" in change) || change.mailboxId !== this.info.id) return;
    if ("modseq" in change && change.modseq > this.#modseq) this.#modseq = change.modseq;
    switch (change.kind) {
      case "message-added":
        if (this.seqOf(change.uid) === 0 && !this.#pendingAdds.includes(change.uid))
          this.#pendingAdds.push(change.uid);
        this.contexts.touch(change.uid);
        break;
      case "messages-expunged":
        for (const uid of change.uids) {
          this.contexts.forget(uid);
          const pendingAdd = this.#pendingAdds.indexOf(uid);
          if (pendingAdd !== -1) this.#pendingAdds.splice(pendingAdd, 1);
          else if (this.seqOf(uid) !== 0) this.#pendingExpunges.set(uid, change.modseq);
          this.#pendingFlags.delete(uid);
        }
        break;
      case "flags-changed":
        // Whoever made it, and however it is reported (or not: .SILENT), contexts judge it again.
        this.contexts.touch(change.uid);
        if (this.#silent.get(change.uid) === change.modseq) {
          this.#silent.delete(change.uid);
          break;
        }
        this.#pendingFlags.set(change.uid, {
          flags: change.flags,
          keywords: change.keywords,
          modseq: change.modseq,
        });
        break;
      case "mailbox-deleted":
        for (const uid of this.uids) this.#pendingExpunges.set(uid, this.#modseq);
        this.#pendingAdds = [];
        break;
      default:
        return;
    }
    this.onPending?.();
  }

  /** Drops a pending flag report (the command that made the change reports it itself). */
  forgetFlags(uid: number): void {
    this.#pendingFlags.delete(uid);
  }

  /** The untagged responses that bring the client up to date, in a safe order; updates the view. */
  flush(options: FlushOptions): Piece[][] {
    const out: Piece[][] = [];
    // RFC 5267 §4.3.4: a context's REMOVEFROM comes before the EXPUNGE, while its numbers hold.
    if (this.contexts.size > 0 && options.allowExpunge)
      out.push(...this.contexts.expunged(this, new Set(this.#pendingExpunges.keys())));
    if (options.allowExpunge && this.#pendingExpunges.size > 0) {
      const gone = [...this.#pendingExpunges.keys()].sort((a, b) => a - b);
      this.#pendingExpunges.clear();
      if (options.qresync || options.uidOnly) {
        out.push([`VANISHED ${sequenceFormat(gone)}`]);
        const goneSet = new Set(gone);
        this.uids = this.uids.filter((u) => !goneSet.has(u));
      } else {
        // Highest first, so each EXPUNGE's number is still valid when the client reads it.
        for (let i = gone.length - 1; i >= 0; i--) {
          const seq = this.seqOf(gone[i]!);
          if (seq === 0) continue;
          this.uids.splice(seq - 1, 1);
          out.push([`${seq} EXPUNGE`]);
        }
      }
    }
    if (this.#pendingAdds.length > 0) {
      this.uids = [...this.uids, ...this.#pendingAdds].sort((a, b) => a - b);
      this.#pendingAdds = [];
      // The first session to report new messages takes their \Recent (RFC 3501 §2.3.2).
      this.#takeRecent(this.uids[this.uids.length - 1]!);
      out.push([`${this.uids.length} EXISTS`]);
      // RFC 3501 §7.3.2: RECENT comes with a change in the mailbox's size; IMAP4rev2 has none.
      if (!this.info.rev2) out.push([`${this.recentCount} RECENT`]);
    }
    for (const [uid, f] of this.#pendingFlags) {
      const seq = this.seqOf(uid);
      if (seq === 0 || this.#pendingExpunges.has(uid)) continue;
      // RFC 3501 §7.2.6: a keyword is announced in FLAGS before a FETCH shows it.
      out.push(...this.flags.announce(f.keywords));
      const modseq = options.condstore ? ` MODSEQ (${f.modseq})` : "";
      const flags = `FLAGS ${flagList(f.flags, f.keywords, this.isRecent(uid))}${modseq}`;
      out.push([options.uidOnly ? `${uid} UIDFETCH (${flags})` : `${seq} FETCH (UID ${uid} ${flags})`]);
    }
    this.#pendingFlags.clear();
    // RFC 5267 §4.3.3: ADDTO after the EXISTS that made its numbers valid (and, RFC 5465 §5.1, a
    // context's change after the FETCH of the flag change that caused it).
    if (this.contexts.size > 0) out.push(...this.contexts.changed(this));
    // RFC 7162 §3.1: the first CONDSTORE-enabling command while a mailbox is selected is answered
    // with the mailbox's HIGHESTMODSEQ before its tagged OK (SELECT with CONDSTORE on sends its own).
    if (options.condstore && !this.#modseqReported) {
      this.#modseqReported = true;
      out.push([`OK [HIGHESTMODSEQ ${this.reportedModseq()}] Highest`]);
    }
    return out;
  }

  /** SELECT sent HIGHESTMODSEQ with CONDSTORE already on: nothing more to report (RFC 7162 §3.1). */
  modseqReported(): void {
    this.#modseqReported = true;
  }

  /**
   * The HIGHESTMODSEQ the client may rely on: that of every change applied, except that removals
   * not reported yet (held back during a FETCH, §7.4.1) keep it below theirs, so a client that
   * resynchronises from it still hears of them.
   */
  reportedModseq(): number {
    let highest = this.#modseq;
    for (const modseq of this.#pendingExpunges.values()) highest = Math.min(highest, modseq - 1);
    return highest;
  }

  /**
   * Takes (read-write) or notes (read-only) \Recent for the messages up to `upTo` no session took;
   * an IMAP4rev2 session does neither (SelectedInfo.rev2).
   */
  #takeRecent(upTo: number): void {
    if (this.info.rev2) return;
    this.#recent.add(this.info.readOnly ? this.#recentView.peek(upTo) : this.#recentView.claim(upTo));
  }
}
