/**
 * Spool files: a message on its way in (SMTP DATA, a large IMAP APPEND literal) is written to a
 * temporary file under <data-dir>/spool as it arrives instead of collecting in memory, so a
 * connection holds a bounded number of bytes whatever the message size and however slowly it comes.
 * Once the transfer is complete the message is read back in one piece for the parse and the
 * database write (bounded separately, see MEMORY_LIMITS.ingestBytes); the file is deleted when the
 * message is stored or refused, or the client goes away. Files are created 0600 in a 0700
 * directory (they hold other people's mail); any left by a crash are removed at start-up.
 *
 * A small message never reaches the disk: the first `memoryBytes` of a transfer are kept in memory,
 * and the file is created only when the transfer grows past them. Profiled under smtp-source's
 * 20 sessions of 1 KB messages (bench/README.md), creating, writing, reading back and unlinking one
 * file per message was ~8% of the server's time (openSync alone 4.7%), for messages that fit in a
 * socket buffer. The memory a transfer holds is unchanged in bound: it stays within the
 * MEMORY_LIMITS.transferBytes (256 KiB) each transfer already counts against the shared budget.
 */
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from "node:fs";
import { open, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

let temporary: SpoolDir | undefined;

/** How a spool directory asks the runtime to collect the garbage its writers leave behind. */
export interface SpoolCollector {
  /** Runtime.collectGarbage. */
  collect: () => void;
  /** Bytes written to spool files between two collections (MEMORY_LIMITS.collectEverySpooledBytes). */
  everyBytes: number;
}

/**
 * Bytes of a transfer held in memory before it goes to a file: more than most mail (a text message
 * is a few KB), a quarter of the MEMORY_LIMITS.transferBytes every transfer is counted for, so many
 * slow transfers in progress hold no more memory than the budget already allows them.
 */
export const SPOOL_MEMORY_BYTES = 64 * 1024;

export class SpoolDir {
  readonly path: string;
  readonly #collector: SpoolCollector | undefined;
  readonly #memoryBytes: number;
  #sinceCollect = 0;

  private constructor(path: string, collector: SpoolCollector | undefined, memoryBytes: number) {
    this.path = path;
    this.#collector = collector;
    this.#memoryBytes = memoryBytes;
  }

  /**
   * Creates the directory (0700) and removes whatever a previous run left in it: a file there
   * belongs to a transfer that was never acknowledged, so nothing in it was promised to anyone.
   */
  static open(path: string, options: { collector?: SpoolCollector; memoryBytes?: number } = {}): SpoolDir {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700);
    for (const name of readdirSync(path)) rmSync(join(path, name), { force: true, recursive: true });
    return new SpoolDir(path, options.collector, options.memoryBytes ?? SPOOL_MEMORY_BYTES);
  }

  /**
   * A spool directory of this process under the system temp dir, removed at exit: for listeners
   * started without one (tests that build their own contexts). The server uses <data-dir>/spool.
   */
  static temporary(): SpoolDir {
    if (!temporary) {
      const dir = SpoolDir.open(join(tmpdir(), `mailroom-spool-${process.pid}`));
      process.once("exit", () => rmSync(dir.path, { recursive: true, force: true }));
      temporary = dir;
    }
    return temporary;
  }

  /** How many spool files exist now (transfers in progress past what is held in memory). */
  count(): number {
    return readdirSync(this.path).length;
  }

  /**
   * Every chunk a socket hands over is garbage once it is in the file. Bun collects those late: at
   * ~100 MB/s in, hundreds of MB of them piled up before a collection. Collecting after every few
   * tens of MB spooled keeps that pile small (a full collection of a small heap takes about 1 ms).
   */
  #written(bytes: number): void {
    if (!this.#collector) return;
    this.#sinceCollect += bytes;
    if (this.#sinceCollect < this.#collector.everyBytes) return;
    this.#sinceCollect = 0;
    this.#collector.collect();
  }

  create(): Spool {
    const name = `${Date.now().toString(36)}-${randomBytes(8).toString("hex")}.msg`;
    return new Spool(join(this.path, name), (bytes) => this.#written(bytes), this.#memoryBytes);
  }
}

/**
 * One message being received. `write()` appends each chunk to the file at once, synchronously: a
 * write into the page cache costs a copy, and a chunk handed over is a chunk no longer held, so a
 * fast sender cannot pile chunks up in memory ahead of the disk (Bun hands sockets' data over in
 * chunks of up to 512 KB; a few of those queued per connection, times hundreds of connections, was
 * the memory this file exists to save). A write error (a full disk) is kept: later writes are
 * dropped, and `read()` throws it, so the protocol can drain the transfer and answer it properly.
 * Up to `memoryBytes` are held in memory instead (copied, so the socket's larger buffer behind a
 * chunk is not kept); the first write past them creates the file with everything so far.
 */
export class Spool {
  readonly path: string;
  readonly #written: (bytes: number) => void;
  readonly #memoryBytes: number;
  /** The bytes so far while they fit in `memoryBytes` and no file exists. */
  #held: Buffer[] = [];
  #fd: number | undefined;
  #size = 0;
  #error: Error | undefined;
  #discarded = false;

  constructor(path: string, written: (bytes: number) => void = () => {}, memoryBytes = 0) {
    this.path = path;
    this.#written = written;
    this.#memoryBytes = memoryBytes;
  }

  /** Whether the bytes went to a file (a transfer past `memoryBytes`). */
  get onDisk(): boolean {
    return this.#fd !== undefined;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  /** The write error, if one happened. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Always undefined: the bytes are in the file when it returns (see LiteralSink, imap/protocol/reader.ts). */
  write(chunk: Uint8Array): undefined {
    if (this.#discarded || this.#error || chunk.length === 0) return undefined;
    if (this.#fd === undefined && this.#size + chunk.length <= this.#memoryBytes) {
      this.#held.push(Buffer.from(chunk));
      this.#size += chunk.length;
      this.#written(chunk.length);
      return undefined;
    }
    try {
      if (this.#fd === undefined) {
        // "x": never reuse or follow an existing file; "+": read back through the same descriptor;
        // 0600 whatever the umask (it can only take bits away).
        const fd = openSync(this.path, "wx+", 0o600);
        this.#fd = fd;
        const held = this.#held;
        this.#held = [];
        let at = 0;
        for (const part of held) {
          writeAll(fd, part, at);
          at += part.length;
        }
      }
      writeAll(this.#fd, chunk, this.#size);
      this.#size += chunk.length;
    } catch (error) {
      this.#error = error as Error;
      return undefined;
    }
    this.#written(chunk.length);
    return undefined;
  }

  /** Nothing is pending after `write()`; here for writers that do not know that (LiteralSink). */
  async finish(): Promise<void> {}

  /** The whole message, read back into one buffer. Throws the write error if there was one. */
  async read(): Promise<Buffer> {
    if (this.#error) throw this.#error;
    if (this.#discarded) throw new Error("spool file already discarded");
    if (this.#fd === undefined) return this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held);
    const out = Buffer.allocUnsafe(this.#size);
    const file = await open(this.path, "r");
    try {
      let done = 0;
      while (done < this.#size) {
        const { bytesRead } = await file.read(out, done, this.#size - done, done);
        if (bytesRead === 0) throw new Error(`spool file ${this.path} is shorter than written`);
        done += bytesRead;
      }
    } finally {
      await file.close();
    }
    return out;
  }

  /** Closes and deletes the file. Safe to call more than once, and before anything was written. */
  async discard(): Promise<void> {
    if (this.#discarded) return;
    this.#discarded = true;
    this.#held = [];
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing to do.
    }
    await unlink(this.path).catch(() => undefined);
  }
}

/** Writes all of `bytes` at `position` (writeSync may write less than asked). */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}
