/**
 * Fills a fresh data directory with accounts and messages straight through the store (much faster
 * than SMTP), before the benchmarked server process starts on it.
 */
import { join } from "node:path";
import { parseMessage } from "../../src/mime/mod.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountGet,
  accountPrepare,
  domainCreate,
  mailboxCreate,
  mailboxGet,
  messageIngest,
  messagesCopy,
  Store,
} from "../../src/store/mod.ts";

export function benchMessage(n: number, size: number): Buffer {
  const head =
    `From: Sender ${n} <sender${n % 97}@remote.example>\r\nTo: User <user@example.com>\r\nCc: other@example.org\r\n` +
    `Subject: Benchmark message number ${n}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${n}.bench@remote.example>\r\n` +
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  const line = "The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnop.\r\n";
  return Buffer.from(head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length))));
}

/**
 * A message of a mailing-list-like mix for SORT, THREAD and SEARCH: sent dates spread over a year
 * (not in arrival order), ~1 in 8 distinct subjects with "Re:" replies threaded by References, and
 * varied words in the body.
 */
export function conversationMessage(n: number, size: number): Buffer {
  const topic = n - (n % 8);
  const reply = n % 8 !== 0;
  const sent = new Date(Date.UTC(2026, 0, 1) + ((n * 7919) % 365) * 86_400_000 + (n % 86_400) * 1000);
  const head =
    `From: Person ${n % 500} <p${n % 500}@remote.example>\r\nTo: User <user@example.com>\r\n` +
    `Subject: ${reply ? "Re: " : ""}Topic ${topic} about item${topic % 1000}\r\nDate: ${sent.toUTCString()}\r\n` +
    `Message-ID: <${n}.conv@remote.example>\r\n` +
    (reply ? `References: <${topic}.conv@remote.example> <${n - 1}.conv@remote.example>\r\n` : "") +
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  const line = `Word${n % 1000} lorem ipsum dolor sit amet consectetur w${(n * 31) % 10007} adipiscing elit.\r\n`;
  return Buffer.from(head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length))));
}

export interface MailboxSpec {
  account: string;
  mailbox: string;
  count: number;
  /** Message size in bytes, or a function of the message number (mixes). */
  size: number | ((n: number) => number);
  /** Store `unique` distinct contents and fill the rest with copies of them (SELECT benchmarks). */
  unique?: number;
  /** The message maker (default benchMessage). */
  make?: (n: number, size: number) => Buffer;
  /** Fill this mailbox with copies of that one's messages (same account, filled before), over and over. */
  copyFrom?: string;
}

export async function populate(dataDir: string, specs: MailboxSpec[], password = "secret"): Promise<void> {
  const store = await Store.open(`file:${join(dataDir, "mailroom.db")}`, embeddedMigrations);
  try {
    for (const spec of specs) {
      let account = await accountGet(store.read, spec.account).catch(() => undefined);
      if (!account) {
        const prepared = await accountPrepare({ address: spec.account, password });
        await store.write(async (w) => {
          await domainCreate(w, prepared.domain, { ifMissing: true });
          return accountCreate(w, prepared);
        });
        account = await accountGet(store.read, spec.account);
      }
      const accountId = account.id;
      let box = await mailboxGet(store.read, accountId, spec.mailbox).catch(() => undefined);
      box ??= await store.write((w) => mailboxCreate(w, accountId, spec.mailbox));
      const mailboxId = box.id;
      if (spec.copyFrom) {
        const from = await mailboxGet(store.read, accountId, spec.copyFrom);
        const available = from.uidNext - 1;
        for (let made = 0; made < spec.count; ) {
          const take = Math.min(available, spec.count - made, 5000);
          const first = (made % available) + 1;
          const uids = Array.from({ length: take }, (_, i) => ((first - 1 + i) % available) + 1);
          await store.write((w) => messagesCopy(w, from, uids, box));
          made += take;
        }
        continue;
      }
      const unique = Math.min(spec.unique ?? spec.count, spec.count);
      for (let start = 0; start < unique; start += 500) {
        const batch = Array.from({ length: Math.min(500, unique - start) }, (_, i) => {
          const n = start + i;
          const raw = (spec.make ?? benchMessage)(
            n,
            typeof spec.size === "number" ? spec.size : spec.size(n),
          );
          return { raw, parsed: parseMessage(raw) };
        });
        await store.write(async (w) => {
          for (const m of batch) await messageIngest(w, { ...m, targets: [{ accountId, mailboxId }] });
        });
      }
      // Copies share the stored content: cheap to make, identical for SELECT and flag-only work.
      const source = await mailboxGet(store.read, accountId, spec.mailbox);
      for (let made = unique; made < spec.count; ) {
        const take = Math.min(unique, spec.count - made, 5000);
        const uids = Array.from({ length: take }, (_, i) => i + 1);
        await store.write((w) => messagesCopy(w, source, uids, source));
        made += take;
      }
    }
  } finally {
    await store.close();
  }
}
