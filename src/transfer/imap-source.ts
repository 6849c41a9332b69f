/**
 * Another IMAP server as an import source (imap://user:pass@host:port, imaps:// for TLS from the
 * first byte), through ImapFlow: every selectable folder, read-only (EXAMINE), with FLAGS,
 * INTERNALDATE and BODY.PEEK[] (RFC 3501 §6.4.5: nothing is marked \Seen on the old server). A
 * message's key is the folder, its UIDVALIDITY and UID (RFC 3501 §2.3.1.1): the same message on the
 * next run, so an interrupted import resumes and a finished one is not repeated.
 */
import { ImapFlow } from "imapflow";
import type { MailSource, SourceFolder, SourceMessage } from "./source.ts";

/** UIDs per UID FETCH: bounds what one response holds in memory (each message is at most the size limit). */
const FETCH_BATCH = 50;

export interface ImapSourceOptions {
  /** Extra CA certificates (MAILROOM_TLS_CA_FILE) for a server with a private certificate. */
  ca?: string[];
}

/** Parses imap://user:pass@host:port; throws with a message that never repeats the password. */
export function parseImapUrl(text: string): {
  secure: boolean;
  host: string;
  port: number;
  user: string;
  pass: string;
} {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error("not a URL: expected imap://user:pass@host:port");
  }
  const secure = url.protocol === "imaps:";
  if (!secure && url.protocol !== "imap:") throw new Error("expected imap:// or imaps://");
  if (!url.username) throw new Error("the URL needs a user name: imap://user:pass@host:port");
  return {
    secure,
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : secure ? 993 : 143,
    user: decodeURIComponent(url.username),
    pass: decodeURIComponent(url.password),
  };
}

export async function imapSource(text: string, options: ImapSourceOptions = {}): Promise<MailSource> {
  const target = parseImapUrl(text);
  const client = new ImapFlow({
    host: target.host,
    port: target.port,
    secure: target.secure,
    auth: { user: target.user, pass: target.pass },
    logger: false,
    ...(options.ca ? { tls: { ca: options.ca } } : {}),
  });
  await client.connect();
  const where = `${target.user}@${target.host}:${target.port}`;

  /** Opens a folder read-only; its UIDVALIDITY is part of every key. */
  const open = async (path: string) => {
    const box = await client.mailboxOpen(path, { readOnly: true });
    return { exists: box.exists, uidValidity: String(box.uidValidity) };
  };
  const keyOf = (path: string, uidValidity: string, uid: number) =>
    `imap:${target.host}:${path}:${uidValidity}:${uid}`;

  const folders = async (): Promise<SourceFolder[]> => {
    const listed = await client.list();
    return listed
      .filter((box) => !box.flags.has("\\Noselect") && !box.flags.has("\\NonExistent"))
      .map((box) => {
        const name =
          box.path.toUpperCase() === "INBOX" ? "INBOX" : box.path.split(box.delimiter || "/").join("/");
        return {
          name,
          async list() {
            const { exists, uidValidity } = await open(box.path);
            if (exists === 0) return [];
            const entries = [];
            for await (const m of client.fetch("1:*", { uid: true, size: true })) {
              entries.push({ key: keyOf(box.path, uidValidity, m.uid), size: m.size ?? 0 });
            }
            return entries;
          },
          async *fetch(keys): AsyncGenerator<SourceMessage> {
            const { uidValidity } = await open(box.path);
            const prefix = keyOf(box.path, uidValidity, 0).slice(0, -1);
            // Keys of another UIDVALIDITY name messages that no longer exist under those UIDs.
            const uids = keys.filter((k) => k.startsWith(prefix)).map((k) => Number(k.slice(prefix.length)));
            for (let i = 0; i < uids.length; i += FETCH_BATCH) {
              const batch = uids.slice(i, i + FETCH_BATCH);
              const got: SourceMessage[] = [];
              // The whole batch is read before it is handed on: ImapFlow runs one command at a time.
              for await (const m of client.fetch(
                batch.join(","),
                { uid: true, flags: true, internalDate: true, source: true },
                { uid: true },
              )) {
                if (!m.source) continue;
                const date = m.internalDate instanceof Date ? m.internalDate.getTime() : undefined;
                got.push({
                  key: keyOf(box.path, uidValidity, m.uid),
                  raw: new Uint8Array(m.source),
                  flags: [...(m.flags ?? [])].filter((f) => f !== "\\Recent"),
                  internalDate: date,
                });
              }
              yield* got;
            }
          },
        };
      });
  };

  return {
    description: `IMAP ${where}`,
    folders,
    close: async () => {
      await client.logout().catch(() => client.close());
    },
  };
}
