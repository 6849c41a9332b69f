/**
 * Catch mode and throwaway namespaces in the SMTP hooks (issue 16). The rules are CatchPolicy's
 * (src/catch/policy.ts); this file carries them through a transaction:
 * - RCPT TO: an address the normal rules refuse (unknown user, or any remote address in catch mode)
 *   becomes one whose account the message creates; it is remembered with the envelope.
 * - DATA: inside the ingest transaction those accounts (and in catch mode their domains) are created
 *   and their INBOXes added to the targets, and in catch mode submitted mail also goes to the
 *   sender's Sent mailbox; so the new accounts are exactly as durable as the 250.
 * - AUTH: in catch mode any credentials are accepted. Such a login is not an account
 *   (`sessionUser()` stays undefined), so no sender rule applies and nothing can be relayed.
 */
import type { SMTPServerEnvelope, SMTPServerSession } from "smtp-server";
import {
  accountCatchEnsure,
  addressNormalize,
  type IngestTarget,
  type Resolution,
  recipientResolve,
  SEEN,
  sentMailboxEnsure,
  type Write,
} from "../store/mod.ts";
import type { SmtpContext } from "./context.ts";

/** A recipient whose account the message will create. */
export type CatchResolution = Resolution | { kind: "create"; address: string };

/** What a catch-mode AUTH leaves in `session.user`: the login as given, and no account. */
export interface CatchLogin {
  catchLogin: string;
}

const toCreate = new WeakMap<SMTPServerEnvelope, Set<string>>();

/** The addresses accepted in this transaction whose accounts DATA creates. */
export function recipientsToCreate(envelope: SMTPServerEnvelope): Set<string> {
  let set = toCreate.get(envelope);
  if (!set) {
    set = new Set();
    toCreate.set(envelope, set);
  }
  return set;
}

/** recipientResolve(), then CatchPolicy's say on what it did not resolve to accounts. */
export async function recipientResolveOrCatch(ctx: SmtpContext, address: string): Promise<CatchResolution> {
  // RFC 5321 §4.5.1: postmaster, bare or at any local domain, is always accepted.
  const resolution = await recipientResolve(ctx.store.read, address, {
    primaryDomain: ctx.primaryDomain,
    postmaster: ctx.postmaster,
  });
  const create = await ctx.catching?.recipientToCreate(ctx.store.read, address, resolution);
  return create === undefined ? resolution : { kind: "create", address: create };
}

/** Whether this session's mail counts as submitted in catch mode: the submission ports, or after AUTH. */
function submitted(ctx: SmtpContext, session: SMTPServerSession): boolean {
  // smtp-server keeps `false` in session.user until AUTH succeeds.
  return ctx.mode === "submission" || Boolean(session.user);
}

/**
 * The sender whose Sent mailbox gets a copy: MAIL FROM, else a login that is an address; undefined
 * when neither is one we could make an account of (then there is no Sent copy, and no refusal).
 */
function sentOwner(session: SMTPServerSession): string | undefined {
  const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
  const login = session.user ? (session.user as Partial<CatchLogin>).catchLogin : undefined;
  for (const candidate of [from, login ?? ""]) {
    try {
      return addressNormalize(candidate).address;
    } catch {
      // Not an address (the null sender, a bare user name): try the next.
    }
  }
  return undefined;
}

/**
 * Inside the delivery's write: creates the accounts RCPT accepted for creation and returns their
 * INBOX targets, plus (catch mode, submitted mail) the sender's Sent mailbox, marked \Seen as a
 * mail client's own copy would be. `exclude`: accounts already targeted (one copy per account).
 */
export async function catchTargets(
  w: Write,
  ctx: SmtpContext,
  session: SMTPServerSession,
  exclude: readonly number[],
): Promise<IngestTarget[]> {
  const targets: IngestTarget[] = [];
  const seen = new Set(exclude);
  for (const address of toCreate.get(session.envelope) ?? []) {
    const accountId = await accountCatchEnsure(w, address);
    if (seen.has(accountId)) continue;
    seen.add(accountId);
    targets.push({ accountId, mailboxName: "INBOX" });
  }
  if (ctx.catching?.all && submitted(ctx, session)) {
    const owner = sentOwner(session);
    if (owner !== undefined) {
      const accountId = await accountCatchEnsure(w, owner);
      targets.push({ accountId, mailboxId: await sentMailboxEnsure(w, accountId), flags: SEEN });
    }
  }
  return targets;
}
