/**
 * What `mailroom import` reads from: a Maildir tree, an mbox file or an IMAP server, each seen as
 * folders of messages. A folder lists its messages first (a stable key and a size each) so that the
 * importer can skip those imported before without reading them, then fetches the rest.
 */

export interface SourceMessage {
  /** Stable across runs: what the `imported` table remembers. */
  key: string;
  raw: Uint8Array;
  /** IMAP-style flag names: "\\Seen", "\\Answered", ..., and keywords. */
  flags: string[];
  /** Epoch ms (INTERNALDATE, a Maildir file's mtime, the From_ line's date); undefined: now. */
  internalDate: number | undefined;
}

export interface SourceEntry {
  key: string;
  /** Bytes, for the progress figures; 0 when unknown before reading. */
  size: number;
}

export interface SourceFolder {
  /** Mailroom's name for it: "INBOX", or "/"-separated like "Archive/2024". */
  name: string;
  /** Every message of the folder, without its bytes. */
  list(): Promise<SourceEntry[]>;
  /** The messages of `keys` (in the listing's order); those that vanished meanwhile are left out. */
  fetch(keys: readonly string[]): AsyncIterable<SourceMessage>;
}

export interface MailSource {
  /** For messages and logs, without any password. */
  description: string;
  folders(): Promise<SourceFolder[]>;
  close(): Promise<void>;
}

/** Keywords Mailroom can store: IMAP atoms without the characters flags may not hold (RFC 3501 §9 flag-keyword). */
export function isStorableKeyword(keyword: string): boolean {
  return (
    keyword.length > 0 &&
    keyword.length <= 100 &&
    /^[\x21\x23-\x27\x2b-\x5a\x5e-\x7a\x7c\x7e]+$/.test(keyword)
  );
}
