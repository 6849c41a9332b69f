/**
 * Maildir (https://cr.yp.to/proto/maildir.html) as an import source and an export format, in the
 * Maildir++ layout Dovecot and Courier use: the root's cur/ and new/ are INBOX, and each folder is a
 * directory ".Name.Sub" (names in modified UTF-7, "." as the hierarchy separator). Nested
 * directories with their own cur/ (Dovecot's LAYOUT=fs) are read too. A message's flags are the
 * letters after ":2," in its file name; lower-case letters are keywords, numbered by the folder's
 * dovecot-keywords file. INTERNALDATE is the file's modification time, as Dovecot keeps it.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { utf7Decode, utf7Encode } from "../imap/protocol/utf7.ts";
import { normalizeNewlines } from "../mime/mod.ts";
import type { MailSource, SourceFolder } from "./source.ts";

/** Maildir info letters (in the order Maildir wants them written: ASCII) and the IMAP flag of each. */
const LETTERS: ReadonlyArray<readonly [string, string]> = [
  ["D", "\\Draft"],
  ["F", "\\Flagged"],
  ["R", "\\Answered"],
  ["S", "\\Seen"],
  ["T", "\\Deleted"],
];
const FLAG_OF = new Map(LETTERS);

/** Where a Maildir folder lives on disk and the name Mailroom gives it. */
interface FolderDir {
  name: string;
  dir: string;
}

function isMaildir(dir: string): boolean {
  return existsSync(join(dir, "cur")) || existsSync(join(dir, "new"));
}

/** Every folder of a Maildir tree: the root as INBOX, Maildir++ ".A.B" folders, nested LAYOUT=fs ones. */
export function maildirFolders(root: string): FolderDir[] {
  const out: FolderDir[] = [];
  if (isMaildir(root)) out.push({ name: "INBOX", dir: root });
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || ["cur", "new", "tmp"].includes(entry.name)) continue;
    const dir = join(root, entry.name);
    if (entry.name.startsWith(".") && entry.name.length > 1) {
      if (!isMaildir(dir)) continue;
      const name = entry.name
        .slice(1)
        .split(".")
        .map((part) => utf7Decode(part) ?? part)
        .join("/");
      out.push({ name: name.toUpperCase() === "INBOX" ? "INBOX" : name, dir });
    } else {
      walkFs(root, dir, out);
    }
  }
  return out;
}

function walkFs(root: string, dir: string, out: FolderDir[]): void {
  if (isMaildir(dir)) {
    const name = relative(root, dir).split(sep).join("/");
    out.push({ name: name.toUpperCase() === "INBOX" ? "INBOX" : name, dir });
  }
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !["cur", "new", "tmp"].includes(entry.name) && !entry.name.startsWith("."))
      walkFs(root, join(dir, entry.name), out);
  }
}

/** dovecot-keywords: "<number> <keyword>" per line; letter a is 0, b is 1, and so on. */
function keywordTable(dir: string): string[] {
  const table: string[] = [];
  try {
    for (const line of readFileSync(join(dir, "dovecot-keywords"), "utf8").split("\n")) {
      const m = /^(\d+) (\S+)$/.exec(line.trim());
      if (m && Number(m[1]) < 26) table[Number(m[1])] = m[2]!;
    }
  } catch {}
  return table;
}

/** Flags from a file name's ":2,<letters>" (new/ files have none: unseen). */
export function maildirFlags(fileName: string, keywords: readonly string[]): string[] {
  const info = /:2,([A-Za-z]*)$/.exec(fileName)?.[1] ?? "";
  const flags: string[] = [];
  for (const letter of info) {
    const flag = FLAG_OF.get(letter);
    if (flag) flags.push(flag);
    else if (letter >= "a" && letter <= "z") {
      const keyword = keywords[letter.charCodeAt(0) - 97];
      if (keyword) flags.push(keyword);
    }
  }
  return flags;
}

/** The unique part of a Maildir file name: what stays when the flags change. */
function uniqueOf(fileName: string): string {
  const colon = fileName.indexOf(":");
  return colon === -1 ? fileName : fileName.slice(0, colon);
}

function folderSource(folder: FolderDir): SourceFolder {
  const files = () => {
    const out: Array<{ path: string; file: string; key: string }> = [];
    for (const sub of ["cur", "new"]) {
      let names: string[];
      try {
        names = readdirSync(join(folder.dir, sub));
      } catch {
        continue;
      }
      for (const file of names.sort()) {
        if (file.startsWith(".")) continue;
        out.push({
          path: join(folder.dir, sub, file),
          file,
          key: `maildir:${folder.name}:${uniqueOf(file)}`,
        });
      }
    }
    return out;
  };
  return {
    name: folder.name,
    async list() {
      return files().flatMap((f) => {
        try {
          return [{ key: f.key, size: statSync(f.path).size }];
        } catch {
          return [];
        }
      });
    },
    async *fetch(keys) {
      const wanted = new Set(keys);
      const keywords = keywordTable(folder.dir);
      for (const f of files()) {
        if (!wanted.has(f.key)) continue;
        let raw: Uint8Array;
        let mtime: number;
        try {
          raw = readFileSync(f.path);
          mtime = statSync(f.path).mtimeMs;
        } catch {
          continue; // moved or deleted by the MDA meanwhile
        }
        yield {
          key: f.key,
          raw: normalizeNewlines(raw),
          flags: maildirFlags(f.file, keywords),
          internalDate: Math.floor(mtime),
        };
      }
    },
  };
}

export function maildirSource(root: string): MailSource {
  return {
    description: `Maildir ${root}`,
    folders: async () => maildirFolders(root).map(folderSource),
    close: async () => {},
  };
}

/** The directory a mailbox gets in an exported Maildir++ tree. */
export function maildirDirOf(root: string, mailbox: string): string {
  if (mailbox === "INBOX") return root;
  return join(root, `.${mailbox.split("/").map(utf7Encode).join(".")}`);
}

/** Writes messages into one Maildir folder the way an MDA does: tmp/, fsync, rename into cur/. */
export class MaildirWriter {
  readonly #dir: string;
  readonly #keywords: string[] = [];
  #count = 0;

  constructor(dir: string) {
    this.#dir = dir;
    for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  }

  write(message: { raw: Uint8Array; flags: string[]; internalDate: number; id: number }): void {
    let letters = "";
    for (const [letter, flag] of LETTERS) if (message.flags.includes(flag)) letters += letter;
    for (const flag of message.flags) {
      if (flag.startsWith("\\")) continue;
      let index = this.#keywords.indexOf(flag);
      if (index === -1 && this.#keywords.length < 26) index = this.#keywords.push(flag) - 1;
      if (index !== -1) letters += String.fromCharCode(97 + index);
    }
    const seconds = Math.floor(message.internalDate / 1000);
    const unique = `${seconds}.M${message.id}P${process.pid}Q${++this.#count}.mailroom,S=${message.raw.length}`;
    const tmp = join(this.#dir, "tmp", unique);
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, message.raw);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const sorted = [...letters].sort().join("");
    const final = join(this.#dir, "cur", `${unique}:2,${sorted}`);
    renameSync(tmp, final);
    const when = message.internalDate / 1000;
    utimesSync(final, when, when);
  }

  /** Writes dovecot-keywords, so Dovecot (and a re-import) reads the keyword letters back. */
  finish(): void {
    if (this.#keywords.length === 0) return;
    const text = this.#keywords.map((k, i) => `${i} ${k}\n`).join("");
    writeFileSync(join(this.#dir, "dovecot-keywords"), text, { mode: 0o600 });
  }

  get name(): string {
    return basename(this.#dir);
  }
}
