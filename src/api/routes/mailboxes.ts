/**
 * /api/v1/accounts/{address}/mailboxes: an account's folders. Names are Unicode paths with "/" as
 * the hierarchy separator, percent-encoded as one path segment ("Archive%2F2024").
 */
import { Hono } from "hono";
import {
  type MailboxStatus,
  mailboxCreate,
  mailboxDelete,
  mailboxGet,
  mailboxListWithStatus,
  mailboxNameNormalize,
  mailboxRename,
  mailboxSetSpecialUse,
  mailboxSetSubscribed,
  mailboxStatus,
} from "../../store/mod.ts";
import { jsonBody } from "../body.ts";
import type { ApiEnv } from "../deps.ts";
import { accountParam } from "../params.ts";
import { MailboxCreate, MailboxUpdate } from "../schemas.ts";

/** The public shape: store ids and the internal modseq stay inside. */
export function mailboxJson(m: MailboxStatus) {
  return {
    name: m.name,
    specialUse: m.specialUse,
    subscribed: m.subscribed,
    uidValidity: m.uidValidity,
    uidNext: m.uidNext,
    messages: m.messages,
    unseen: m.unseen,
    size: m.size,
  };
}

const location = (address: string, name: string) =>
  `/api/v1/accounts/${encodeURIComponent(address)}/mailboxes/${encodeURIComponent(name)}`;

export const mailboxRoutes = new Hono<ApiEnv>()
  .get("/:address/mailboxes", async (c) => {
    const { store } = c.get("deps");
    const account = await accountParam(c, store.read);
    const list = await mailboxListWithStatus(store.read, account.id);
    return c.json({ items: list.map(mailboxJson) });
  })
  .post("/:address/mailboxes", async (c) => {
    const { store } = c.get("deps");
    const body = await jsonBody(c, MailboxCreate);
    const account = await accountParam(c, store.read);
    // Made by the operator for the user, so it shows in the user's client: subscribed, unlike an
    // IMAP CREATE (RFC 3501 §6.3.3 leaves subscribing to the client that creates).
    const mailbox = await store.write((w) =>
      mailboxCreate(w, account.id, body.name, { specialUse: body.specialUse ?? null, subscribed: true }),
    );
    const status = await mailboxStatus(store.read, mailbox);
    return c.json(mailboxJson(status), 201, { location: location(account.address, mailbox.name) });
  })
  .patch("/:address/mailboxes/:mailbox", async (c) => {
    const { store } = c.get("deps");
    const body = await jsonBody(c, MailboxUpdate);
    const account = await accountParam(c, store.read);
    const name = c.req.param("mailbox");
    // One write: a rename that succeeds with a failing subscription change would leave a half-applied PATCH.
    const mailbox = await store.write(async (w) => {
      let current = await mailboxGet(w.tx, account.id, name);
      // Renaming to the current name is a no-op, not a conflict with itself.
      if (body.name !== undefined && mailboxNameNormalize(body.name) !== current.name)
        current = await mailboxRename(w, account.id, current.name, body.name);
      if (body.subscribed !== undefined)
        await mailboxSetSubscribed(w, account.id, current.name, body.subscribed);
      if (body.specialUse !== undefined)
        await mailboxSetSpecialUse(w, account.id, current.name, body.specialUse);
      return mailboxGet(w.tx, account.id, current.name);
    });
    return c.json(mailboxJson(await mailboxStatus(store.read, mailbox)));
  })
  .delete("/:address/mailboxes/:mailbox", async (c) => {
    const { store } = c.get("deps");
    const account = await accountParam(c, store.read);
    await store.write((w) => mailboxDelete(w, account.id, c.req.param("mailbox")));
    return c.body(null, 204);
  });
