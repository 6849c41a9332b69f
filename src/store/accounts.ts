/** Accounts: a login, a password hash, a quota, and the standard set of mailboxes. */
import { asc, eq, inArray, sql } from "drizzle-orm";
import { addressNormalize } from "./addresses.ts";
import { contentsDeleteOrphans } from "./contents.ts";
import type { CredentialCache } from "./credential-cache.ts";
import { type Reader, readFirst, type Write } from "./db.ts";
import { domainFind } from "./domains.ts";
import { conflict, invalid, notFound } from "./errors.ts";
import { mailboxCreate } from "./mailboxes.ts";
import { metadataDeleteAccount } from "./metadata.ts";
import { passwordHash, passwordVerify } from "./passwords.ts";
import { accounts, aliasTargets, expunged, mailboxes, messages, subscriptions } from "./schema.ts";

export interface Account {
  id: number;
  address: string;
  quota: number | null;
  /** Messages the account may hold in all (RFC 9208 §5.2 MESSAGE); null means unlimited. */
  quotaMessages: number | null;
  usedBytes: number;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Every account gets these on creation (RFC 6154 special-use attributes). */
export const DEFAULT_MAILBOXES: ReadonlyArray<{ name: string; specialUse: string | null }> = [
  { name: "INBOX", specialUse: null },
  { name: "Sent", specialUse: "\\Sent" },
  { name: "Drafts", specialUse: "\\Drafts" },
  { name: "Trash", specialUse: "\\Trash" },
  { name: "Junk", specialUse: "\\Junk" },
  { name: "Archive", specialUse: "\\Archive" },
];

const columns = {
  id: accounts.id,
  address: accounts.address,
  quota: accounts.quota,
  quotaMessages: accounts.quotaMessages,
  usedBytes: accounts.usedBytes,
  disabled: accounts.disabled,
  createdAt: accounts.createdAt,
  updatedAt: accounts.updatedAt,
};

export async function accountList(r: Reader, options: { domain?: string } = {}): Promise<Account[]> {
  const query = r.select(columns).from(accounts);
  if (options.domain) {
    const domain = await domainFind(r, options.domain.toLowerCase());
    if (!domain) return [];
    return query.where(eq(accounts.domainId, domain.id)).orderBy(asc(accounts.address));
  }
  return query.orderBy(asc(accounts.address));
}

export async function accountFind(r: Reader, address: string): Promise<Account | undefined> {
  const [row] = await r
    .select(columns)
    .from(accounts)
    .where(eq(accounts.address, address.trim().toLowerCase()))
    .limit(1);
  return row;
}

export async function accountGet(r: Reader, address: string): Promise<Account> {
  const account = await accountFind(r, address);
  if (!account) throw notFound(`account ${address}`);
  return account;
}

export async function accountsById(r: Reader, ids: number[]): Promise<Account[]> {
  if (ids.length === 0) return [];
  return r.select(columns).from(accounts).where(inArray(accounts.id, ids));
}

export interface AccountInput {
  address: string;
  password: string;
  quota?: number | null | undefined;
  quotaMessages?: number | null | undefined;
}

/** Hash the password before opening the write: scrypt takes tens of milliseconds we must not hold the write lock for. */
export async function accountPrepare(input: AccountInput): Promise<{
  address: string;
  domain: string;
  hash: string;
  quota: number | null;
  quotaMessages: number | null;
}> {
  const { address, domain } = addressNormalize(input.address);
  if (input.password.length < 1) throw invalid("password must not be empty");
  return {
    address,
    domain,
    hash: await passwordHash(input.password),
    quota: input.quota ?? null,
    quotaMessages: input.quotaMessages ?? null,
  };
}

export async function accountCreate(
  w: Write,
  prepared: Awaited<ReturnType<typeof accountPrepare>>,
): Promise<Account> {
  const domain = await domainFind(w.tx, prepared.domain);
  if (!domain) throw invalid(`domain ${prepared.domain} is not a local domain; create it first`);
  if (await accountFind(w.tx, prepared.address)) throw conflict(`account ${prepared.address}`);
  const [row] = await w.tx
    .insert(accounts)
    .values({
      address: prepared.address,
      domainId: domain.id,
      passwordHash: prepared.hash,
      quota: prepared.quota,
      quotaMessages: prepared.quotaMessages,
    })
    .returning(columns);
  // The one place mailboxes start subscribed: a new account's folders (RFC 3501 §6.3.6 leaves the
  // rest to clients).
  for (const mailbox of DEFAULT_MAILBOXES)
    await mailboxCreate(w, row!.id, mailbox.name, { specialUse: mailbox.specialUse, subscribed: true });
  return row!;
}

export interface AccountPatch {
  passwordHash?: string | undefined;
  quota?: number | null | undefined;
  quotaMessages?: number | null | undefined;
  disabled?: boolean | undefined;
}

export async function accountUpdate(w: Write, address: string, patch: AccountPatch): Promise<Account> {
  const account = await accountGet(w.tx, address);
  const values: Partial<typeof accounts.$inferInsert> = { updatedAt: Date.now() };
  if (patch.passwordHash !== undefined) values.passwordHash = patch.passwordHash;
  if (patch.quota !== undefined) values.quota = patch.quota;
  if (patch.quotaMessages !== undefined) values.quotaMessages = patch.quotaMessages;
  if (patch.disabled !== undefined) values.disabled = patch.disabled;
  const [row] = await w.tx.update(accounts).set(values).where(eq(accounts.id, account.id)).returning(columns);
  w.changed({ kind: "account-updated", accountId: account.id });
  return row!;
}

/** Removes the account with all its mailboxes and messages; contents no one else shares go too. */
export async function accountDelete(w: Write, address: string): Promise<void> {
  const account = await accountGet(w.tx, address);
  const contentIds = await w.tx
    .selectDistinct({ id: messages.contentId })
    .from(messages)
    .where(eq(messages.accountId, account.id));
  await w.tx.delete(messages).where(eq(messages.accountId, account.id));
  await w.tx
    .delete(expunged)
    .where(
      inArray(
        expunged.mailboxId,
        w.tx.select({ id: mailboxes.id }).from(mailboxes).where(eq(mailboxes.accountId, account.id)),
      ),
    );
  await w.tx.delete(mailboxes).where(eq(mailboxes.accountId, account.id));
  await w.tx.delete(subscriptions).where(eq(subscriptions.accountId, account.id));
  await metadataDeleteAccount(w, account.id);
  await w.tx.delete(aliasTargets).where(eq(aliasTargets.accountId, account.id));
  // Issue 17: its web sign-in sessions (the lookup would refuse them anyway: no account).
  await w.exec({ sql: "DELETE FROM web_sessions WHERE account_id = ?", args: [account.id] });
  await w.tx.delete(accounts).where(eq(accounts.id, account.id));
  await contentsDeleteOrphans(
    w,
    contentIds.map((c) => c.id),
  );
  w.changed({ kind: "account-deleted", accountId: account.id });
}

/**
 * Checks a login. The login is the full address, or for the primary domain the bare local part.
 * Returns undefined for unknown, disabled, or wrong password alike, so callers cannot leak which.
 * With a `cache`, a password verified recently against the hash stored now is taken without deriving
 * the hash again (credential-cache.ts); anything else takes the full check, which fills the cache.
 */
export async function accountAuthenticate(
  r: Reader,
  login: string,
  password: string,
  options: { primaryDomain: string; cache?: CredentialCache | undefined },
): Promise<Account | undefined> {
  const name = login.trim().toLowerCase();
  const address = name.includes("@") ? name : `${name}@${options.primaryDomain}`;
  // Raw and prepared once (db.ts): every login reads this row, cached or not.
  const row = await readFirst(r, {
    sql: `SELECT id, address, quota, used_bytes, disabled, created_at, updated_at, password_hash,
          quota_messages FROM accounts WHERE address = ?`,
    args: [address],
  });
  if (!row) {
    // Spend the same time as a real check so response timing does not reveal which accounts exist.
    await passwordVerify(password, DUMMY_HASH);
    return undefined;
  }
  const account: Account = {
    id: Number(row[0]),
    address: String(row[1]),
    quota: row[2] == null ? null : Number(row[2]),
    usedBytes: Number(row[3]),
    disabled: Boolean(row[4]),
    createdAt: Number(row[5]),
    updatedAt: Number(row[6]),
    quotaMessages: row[8] == null ? null : Number(row[8]),
  };
  const hash = String(row[7]);
  if (account.disabled) {
    // Refused whatever the cache holds; the full check keeps the timing of a wrong password.
    await passwordVerify(password, hash);
    return undefined;
  }
  if (options.cache?.has(account.id, hash, password)) return account;
  if (!(await passwordVerify(password, hash))) return undefined;
  options.cache?.add(account.id, hash, password);
  return account;
}

const DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/** Bytes in use, recomputed from the messages (the counter in accounts.used_bytes is the fast path). */
export async function accountUsageRecount(r: Reader, accountId: number): Promise<number> {
  const [row] = await r
    .select({ n: sql<number>`coalesce(sum(${messages.size}), 0)` })
    .from(messages)
    .where(eq(messages.accountId, accountId));
  return row?.n ?? 0;
}
