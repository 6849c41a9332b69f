/**
 * Messages of an account: listing and importing per mailbox, reading/changing/deleting by id, and a
 * mailbox as one mbox file (export and import). Ids are scoped by the account in the path: another
 * account's message id is a 404, exactly like an id that never existed.
 */
import { Hono } from "hono";
import { normalizeNewlines, parseMessage } from "../../mime/mod.ts";
import {
  contentRaw,
  flagNames,
  flagsFromNames,
  type IngestTarget,
  type MessageSummary,
  mailboxById,
  mailboxGet,
  messageGet,
  messageIngest,
  messageList,
  messageMoveKeepId,
  messageSummaryGet,
  messagesExpunge,
  messagesPage,
  messagesUpdateFlags,
  type Store,
  StoreError,
} from "../../store/mod.ts";
import { type MboxEntry, mboxStream } from "../../transfer/mbox-format.ts";
import { jsonBody, rawBody } from "../body.ts";
import type { ApiEnv } from "../deps.ts";
import { mboxImport } from "../mbox-import.ts";
import { messageView } from "../message-view.ts";
import {
  accountParam,
  beforeUidCursor,
  MessageImportQuery,
  MessageListQuery,
  mailboxParam,
  messageIdParam,
  queryParams,
} from "../params.ts";
import { ApiError } from "../problem.ts";
import { MessageUpdate } from "../schemas.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** A list entry; `date` is the Date header, or the arrival time when the header is missing or unreadable. */
export function messageSummaryJson(m: MessageSummary) {
  return {
    id: m.id,
    uid: m.uid,
    from: m.from,
    to: m.to,
    subject: m.subject,
    date: iso(m.date ?? m.internalDate),
    size: m.size,
    flags: flagNames(m.flags, m.keywords),
    preview: m.preview,
  };
}

const messageNotFound = (id: number) => new StoreError("not_found", `message ${id} not found`);
const messageUrl = (address: string, id: number) =>
  `/api/v1/accounts/${encodeURIComponent(address)}/messages/${id}`;

/** Index rows fetched per query while exporting; the bytes are then read one message at a time. */
const EXPORT_BATCH = 100;

/** A mailbox's messages in UID order, fetched lazily in batches as the export stream asks for them. */
async function* mailboxEntries(store: Store, mailboxId: number): AsyncGenerator<MboxEntry> {
  let afterUid = 0;
  for (;;) {
    const page = await messagesPage(store.read, mailboxId, afterUid, EXPORT_BATCH);
    for (const m of page) {
      const raw = await contentRaw(store.read, m.contentId);
      // Expunged since the page was read: it is simply no longer part of the mailbox.
      if (raw) yield { raw, internalDate: m.internalDate };
    }
    if (page.length < EXPORT_BATCH) return;
    afterUid = page[page.length - 1]!.uid;
  }
}

/** "Archive/2024" -> Archive-2024.mbox, with an ASCII fallback and the exact name in RFC 8187 form. */
function mboxDisposition(mailboxName: string): string {
  const base = `${mailboxName.replaceAll("/", "-")}.mbox`;
  const ascii = base.replace(/[^A-Za-z0-9._-]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

export const messageRoutes = new Hono<ApiEnv>()
  .get("/:address/mailboxes/:mailbox/messages", async (c) => {
    const { store } = c.get("deps");
    const query = queryParams(c, MessageListQuery);
    const before = query.cursor === undefined ? undefined : beforeUidCursor.decode(query.cursor);
    const { mailbox } = await mailboxParam(c, store.read);
    const page = await messageList(store.read, mailbox.id, {
      limit: query.limit,
      before,
      unseen: query.unseen,
      q: query.q,
    });
    return c.json({
      items: page.items.map(messageSummaryJson),
      next: page.next === null ? null : beforeUidCursor.encode(page.next),
    });
  })
  .post("/:address/mailboxes/:mailbox/messages", async (c) => {
    const { store, config } = c.get("deps");
    const { flags } = queryParams(c, MessageImportQuery);
    const { account, mailbox } = await mailboxParam(c, store.read);
    // Issue 9, RFC 5322 §2.3: a bare CR or LF would show readers different headers. Imported files
    // often have Unix line ends, so the import makes them CRLF (whatever MAILROOM_BARE_NEWLINE says,
    // which is for what SMTP and IMAP clients send); the stored, listed and served bytes are these.
    const raw = normalizeNewlines(await rawBody(c, config.maxMessageSize, "a message"));
    if (raw.length === 0)
      throw new ApiError(
        400,
        "Bad Request",
        "the request body must be the message (message/rfc822); it is empty",
      );
    // The CRs added may take a message at the limit past it: the limit is on what is stored.
    if (raw.length > config.maxMessageSize)
      throw new ApiError(
        413,
        "Content Too Large",
        `a message is limited to ${config.maxMessageSize} bytes (with CRLF line ends)`,
      );
    // Parsed before the write: parsing is CPU work the write lock need not wait for.
    const parsed = parseMessage(raw);
    const target: IngestTarget = {
      accountId: account.id,
      mailboxId: mailbox.id,
      ...flagsFromNames(flags ?? []),
    };
    const [message] = await store.write((w) =>
      messageIngest(w, { raw, parsed, targets: [target], enforceQuota: true }),
    );
    return c.json({ id: message!.id, uid: message!.uid }, 201, {
      location: messageUrl(account.address, message!.id),
    });
  })
  .get("/:address/mailboxes/:mailbox/mbox", async (c) => {
    const { store } = c.get("deps");
    const { mailbox } = await mailboxParam(c, store.read);
    return c.body(mboxStream(mailboxEntries(store, mailbox.id)), 200, {
      "content-type": "application/mbox",
      "content-disposition": mboxDisposition(mailbox.name),
    });
  })
  .post("/:address/mailboxes/:mailbox/mbox", async (c) => {
    const { store, config, log } = c.get("deps");
    const { mailbox } = await mailboxParam(c, store.read);
    return c.json(await mboxImport(c, store, mailbox, config.maxMessageSize, log), 201);
  })
  .get("/:address/messages/:id", async (c) => {
    const { store } = c.get("deps");
    const id = await messageIdParam(c, store.read);
    const account = await accountParam(c, store.read);
    const message = await messageGet(store.read, account.id, id);
    const view = message && (await messageView(store.read, message));
    if (!view) throw messageNotFound(id);
    return c.json(view);
  })
  .get("/:address/messages/:id/raw", async (c) => {
    const { store } = c.get("deps");
    const id = await messageIdParam(c, store.read);
    const account = await accountParam(c, store.read);
    const message = await messageGet(store.read, account.id, id);
    const raw = message && (await contentRaw(store.read, message.contentId));
    if (!raw) throw messageNotFound(id);
    // The exact stored bytes; blobs come back on a plain ArrayBuffer, never a shared one.
    return c.body(raw as Uint8Array<ArrayBuffer>, 200, { "content-type": "message/rfc822" });
  })
  .patch("/:address/messages/:id", async (c) => {
    const { store } = c.get("deps");
    const body = await jsonBody(c, MessageUpdate);
    const id = await messageIdParam(c, store.read);
    const account = await accountParam(c, store.read);
    // Looked up inside the write so that the flags change and the move see the same message.
    await store.write(async (w) => {
      const message = await messageGet(w.tx, account.id, id);
      if (!message) throw messageNotFound(id);
      const update = (mode: "set" | "add" | "remove", names: string[]) =>
        messagesUpdateFlags(w, message.mailboxId, [message.uid], { mode, ...flagsFromNames(names) });
      if (body.flags) await update("set", body.flags);
      if (body.addFlags) await update("add", body.addFlags);
      if (body.removeFlags) await update("remove", body.removeFlags);
      if (body.mailbox !== undefined)
        await messageMoveKeepId(w, message, await mailboxGet(w.tx, account.id, body.mailbox));
    });
    const summary = await messageSummaryGet(store.read, account.id, id);
    const mailbox = summary && (await mailboxById(store.read, summary.mailboxId));
    if (!summary || !mailbox) throw messageNotFound(id);
    return c.json({ ...messageSummaryJson(summary), mailbox: mailbox.name });
  })
  .delete("/:address/messages/:id", async (c) => {
    const { store } = c.get("deps");
    const id = await messageIdParam(c, store.read);
    const account = await accountParam(c, store.read);
    await store.write(async (w) => {
      const message = await messageGet(w.tx, account.id, id);
      if (!message) throw messageNotFound(id);
      await messagesExpunge(w, { id: message.mailboxId, accountId: message.accountId }, [message.uid]);
    });
    return c.body(null, 204);
  });
