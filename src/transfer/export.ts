/**
 * `mailroom export`: every mailbox of an account as a Maildir++ tree (src/transfer/maildir.ts) or as
 * one mboxrd file per mailbox ("Archive/2024" -> DEST/Archive/2024.mbox), with flags and keywords
 * (Maildir file names; the Status/X-Status/X-Keywords headers of mbox) and INTERNALDATE (file
 * mtime; the From_ line). Messages are read one at a time from the store, so memory stays flat.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { contentRaw, flagNames, mailboxList, messagesOfMailbox, type Store } from "../store/mod.ts";
import { MaildirWriter, maildirDirOf } from "./maildir.ts";
import { mboxEntryChunks } from "./mbox-format.ts";
import type { Progress } from "./progress.ts";

export type ExportFormat = "maildir" | "mbox";

export interface ExportStats {
  mailboxes: number;
  messages: number;
  bytes: number;
}

export async function exportRun(
  store: Store,
  accountId: number,
  options: { format: ExportFormat; dest: string; progress?: Progress },
): Promise<ExportStats> {
  const stats: ExportStats = { mailboxes: 0, messages: 0, bytes: 0 };
  const mailboxes = await mailboxList(store.read, accountId);
  const lists = await Promise.all(mailboxes.map((m) => messagesOfMailbox(store.read, m.id)));
  const total = lists.reduce((n, l) => n + l.length, 0);
  const totalBytes = lists.reduce((n, l) => n + l.reduce((b, m) => b + m.size, 0), 0);
  options.progress?.update({ total, totalBytes });
  mkdirSync(options.dest, { recursive: true, mode: 0o700 });
  for (const [i, mailbox] of mailboxes.entries()) {
    stats.mailboxes++;
    const messages = lists[i]!;
    const sink =
      options.format === "maildir"
        ? maildirSink(maildirDirOf(options.dest, mailbox.name))
        : mboxSink(join(options.dest, `${mailbox.name}.mbox`));
    try {
      for (const m of messages) {
        const raw = await contentRaw(store.read, m.contentId);
        if (!raw) continue; // expunged meanwhile
        sink.write({ raw, flags: flagNames(m.flags, m.keywords), internalDate: m.internalDate, id: m.id });
        stats.messages++;
        stats.bytes += raw.length;
        options.progress?.update({ messages: stats.messages, bytes: stats.bytes, folder: mailbox.name });
      }
    } finally {
      sink.finish();
    }
  }
  return stats;
}

interface Sink {
  write(message: { raw: Uint8Array; flags: string[]; internalDate: number; id: number }): void;
  finish(): void;
}

function maildirSink(dir: string): Sink {
  const writer = new MaildirWriter(dir);
  return { write: (m) => writer.write(m), finish: () => writer.finish() };
}

/** The mbox status headers for a message's flags (what mboxFlags() reads back and removes). */
function statusHeaders(flags: readonly string[]): string {
  const status = flags.includes("\\Seen") ? "RO" : "O";
  let x = "";
  if (flags.includes("\\Answered")) x += "A";
  if (flags.includes("\\Flagged")) x += "F";
  if (flags.includes("\\Draft")) x += "T";
  if (flags.includes("\\Deleted")) x += "D";
  const keywords = flags.filter((f) => !f.startsWith("\\"));
  const crlf = "\r\n";
  return `Status: ${status}${crlf}${x ? `X-Status: ${x}${crlf}` : ""}${keywords.length ? `X-Keywords: ${keywords.join(" ")}${crlf}` : ""}`;
}

function mboxSink(path: string): Sink {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, "wx", 0o600);
  const encoder = new TextEncoder();
  return {
    write(m) {
      const raw = Buffer.concat([encoder.encode(statusHeaders(m.flags)), m.raw]);
      for (const chunk of mboxEntryChunks({ raw, internalDate: m.internalDate })) writeSync(fd, chunk);
    },
    finish() {
      fsyncSync(fd);
      closeSync(fd);
    },
  };
}
