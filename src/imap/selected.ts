/**
 * The selected mailbox as one session sees it: the sequence-number -> UID map and the changes other
 * writers made that this session has not been told about yet. Changes arrive from the store's hub at
 * any time; they are reported only at the points RFC 3501 §7 allows (`flush()`), so sequence numbers
 * stay consistent for the client: an expunged message keeps its number until EXPUNGE is sent.
 */
import type { Change } from "../store/mod.ts";
import { flagNames } from "../store/mod.ts";
import type { Piece } from "./protocol/encode.ts";
import { lowerBound, type SequenceSet, sequenceFormat, sequenceSelect } from "./protocol/sequence.ts";

export interface SelectedInfo {
  id: number;
  accountId: number;
  name: string;
  uidValidity: number;
  readOnly: boolean;
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
  #pendingAdds: number[] = [];
  readonly #pendingExpunges = new Set<number>();
  readonly #pendingFlags = new Map<number, { flags: number; keywords: string[]; modseq: number }>();
  /** Flag changes this session made itself with .SILENT, by UID and MODSEQ: not echoed back. */
  readonly #silent = new Map<number, number>();
  /** Called when a change arrives (IDLE uses it to report at once). */
  onPending: (() => void) | undefined;

  constructor(info: SelectedInfo, uids: number[]) {
    this.info = info;
    this.uids = uids;
  }

  /** Sets the view read at SELECT; changes that arrived meanwhile and are already in it are dropped. */
  load(uids: number[]): void {
    this.uids = uids;
    // Only changes that raced with the read need checking; usually there are none.
    this.#pendingAdds = this.#pendingAdds.filter((u) => this.seqOf(u) === 0);
    for (const u of this.#pendingExpunges) if (this.seqOf(u) === 0) this.#pendingExpunges.delete(u);
  }

  get exists(): number {
    return this.uids.length;
  }

  /** Sequence number of a UID, or 0 when it is not (or no longer) in this session's view. */
  seqOf(uid: number): number {
    const i = lowerBound(this.uids, uid);
    return this.uids[i] === uid ? i + 1 : 0;
  }

  uidOf(seq: number): number | undefined {
    return this.uids[seq - 1];
  }

  /** The UIDs a set names: UIDs directly, or sequence numbers mapped to UIDs. */
  resolve(set: SequenceSet, byUid: boolean): number[] {
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

  /** Whether the message has been expunged by someone else and not yet reported. */
  isExpungedPending(uid: number): boolean {
    return this.#pendingExpunges.has(uid);
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
    switch (change.kind) {
      case "message-added":
        if (this.seqOf(change.uid) === 0 && !this.#pendingAdds.includes(change.uid))
          this.#pendingAdds.push(change.uid);
        break;
      case "messages-expunged":
        for (const uid of change.uids) {
          const pendingAdd = this.#pendingAdds.indexOf(uid);
          if (pendingAdd !== -1) this.#pendingAdds.splice(pendingAdd, 1);
          else if (this.seqOf(uid) !== 0) this.#pendingExpunges.add(uid);
          this.#pendingFlags.delete(uid);
        }
        break;
      case "flags-changed":
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
        for (const uid of this.uids) this.#pendingExpunges.add(uid);
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
    if (options.allowExpunge && this.#pendingExpunges.size > 0) {
      const gone = [...this.#pendingExpunges].sort((a, b) => a - b);
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
      out.push([`${this.uids.length} EXISTS`]);
    }
    for (const [uid, f] of this.#pendingFlags) {
      const seq = this.seqOf(uid);
      if (seq === 0 || this.#pendingExpunges.has(uid)) continue;
      const modseq = options.condstore ? ` MODSEQ (${f.modseq})` : "";
      const flags = `FLAGS (${flagNames(f.flags, f.keywords).join(" ")})${modseq}`;
      out.push([options.uidOnly ? `${uid} UIDFETCH (${flags})` : `${seq} FETCH (UID ${uid} ${flags})`]);
    }
    this.#pendingFlags.clear();
    return out;
  }
}
