/**
 * Accounts that mail creates (issue 16): in catch mode the first message to any address, and in a
 * throwaway namespace the first message to one of its addresses, creates the account (and in catch
 * mode its domain) inside the delivery's own transaction, so the account is as durable as the
 * message and no concurrent delivery can create it twice.
 *
 * Such an account has no password: its hash is not a scrypt string, so passwordVerify() refuses
 * every password, and only catch mode or its namespace lets a client in with any password.
 */
import { and, eq } from "drizzle-orm";
import { accountCreate, accountFind } from "./accounts.ts";
import { addressNormalize } from "./addresses.ts";
import type { Write } from "./db.ts";
import { mailboxCreate, mailboxFind } from "./mailboxes.ts";
import { domains, mailboxes } from "./schema.ts";

/** A password hash no password matches (see passwords.ts: not a scrypt record). */
export const NO_PASSWORD = "none";

/**
 * The id of the account of `address`, created with the default mailboxes when missing. A missing
 * domain is created with origin "catch" (catch mode takes mail for any domain).
 */
export async function accountCatchEnsure(w: Write, address: string): Promise<number> {
  const parts = addressNormalize(address);
  const existing = await accountFind(w.tx, parts.address);
  if (existing) return existing.id;
  const [domain] = await w.tx
    .select({ id: domains.id })
    .from(domains)
    .where(eq(domains.name, parts.domain))
    .limit(1);
  if (!domain) await w.tx.insert(domains).values({ name: parts.domain, origin: "catch" });
  const account = await accountCreate(w, {
    address: parts.address,
    domain: parts.domain,
    hash: NO_PASSWORD,
    quota: null,
    quotaMessages: null,
  });
  return account.id;
}

/**
 * The account's Sent mailbox (RFC 6154 \Sent, else the one named "Sent"), created when it has
 * none: where catch mode keeps a copy of submitted mail.
 */
export async function sentMailboxEnsure(w: Write, accountId: number): Promise<number> {
  const [special] = await w.tx
    .select({ id: mailboxes.id })
    .from(mailboxes)
    .where(and(eq(mailboxes.accountId, accountId), eq(mailboxes.specialUse, "\\Sent")))
    .limit(1);
  if (special) return special.id;
  const named = await mailboxFind(w.tx, accountId, "Sent");
  if (named) return named.id;
  return (await mailboxCreate(w, accountId, "Sent", { specialUse: "\\Sent" })).id;
}
