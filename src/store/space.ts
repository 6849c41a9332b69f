/**
 * The disk reserve: a preallocated file beside the database, given back the first time a write meets
 * a full disk. Deleting is how an operator or a user frees space, and SQLite needs room in the WAL to
 * delete anything, so without a reserve a full disk also refused DELETE, EXPUNGE, POP3 QUIT and the
 * \Seen of a FETCH. Once the reserve is given back the store is "low": new mail (messageIngest) is
 * refused at once as storage-full (SMTP 452 4.3.1, IMAP NO [OVERQUOTA], HTTP 507) while everything
 * else may use the room. When the file system has room for the reserve twice over, it is taken again.
 */
import * as fs from "node:fs";
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** At most this share of the file system goes into the reserve (an 8 MB tmpfs gets 400 KB, not 32 MB). */
const MAX_SHARE = 1 / 20;

export class DiskReserve {
  readonly #path: string;
  readonly #wanted: number;
  #held = 0;
  #low = false;

  constructor(path: string, bytes: number) {
    this.#path = path;
    this.#wanted = bytes;
  }

  /** Takes the reserve (at start, and when space has returned); false when there is no room for it. */
  hold(): boolean {
    const bytes = this.#size();
    if (bytes === 0) return false;
    const chunk = Buffer.alloc(Math.min(bytes, 1 << 20));
    let fd: number | undefined;
    try {
      fd = openSync(this.#path, "w", 0o600);
      for (let written = 0; written < bytes; )
        written += writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
      fsyncSync(fd);
      this.#held = bytes;
      return true;
    } catch {
      rmSync(this.#path, { force: true });
      this.#held = 0;
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Bytes held now (0 when given back or never taken). */
  get held(): number {
    return this.#held;
  }

  /** Whether new mail is refused for want of space. */
  get low(): boolean {
    return this.#low;
  }

  /**
   * A write met a full disk: gives the reserve back and marks the store low. True when space was
   * freed (the write is worth one more try); false when there was nothing left to give.
   */
  onFull(): boolean {
    this.#low = true;
    if (this.#held === 0) return false;
    rmSync(this.#path, { force: true });
    this.#held = 0;
    return true;
  }

  /**
   * While low, before each commit (one statfs, microseconds): leaves the low state when there is room
   * for the reserve twice over, so delivery resumes with the first message after space returns.
   */
  recheck(): void {
    if (!this.#low || this.#free() < 2 * this.#size()) return;
    if (this.hold() || this.#size() === 0) this.#low = false;
  }

  #free(): number {
    try {
      const st = statfs(dirname(this.#path));
      return st ? st.bavail * st.bsize : 0;
    } catch {
      return 0;
    }
  }

  #size(): number {
    try {
      const st = statfs(dirname(this.#path));
      return st ? Math.min(this.#wanted, Math.floor(st.blocks * st.bsize * MAX_SHARE)) : 0;
    } catch {
      return 0;
    }
  }
}

/** statfs(2), where the runtime has it (looked up, not imported: a runtime without it gets no reserve). */
function statfs(path: string): { bavail: number; bsize: number; blocks: number } | undefined {
  const call = (fs as { statfsSync?: (p: string) => { bavail: number; bsize: number; blocks: number } })
    .statfsSync;
  return call?.(path);
}

/** The error a low store answers new mail with: the same code as SQLite's own, so every protocol maps it alike. */
export function storageFullError(): Error {
  return Object.assign(new Error("the disk is full: new mail is refused until space is freed"), {
    code: "SQLITE_FULL",
  });
}
