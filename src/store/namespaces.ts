/**
 * Throwaway namespaces (issue 16): local domains that accept mail for any address (an account is
 * created by the first message to it, see catch-accounts.ts) and are deleted with all their mail
 * when they expire. A namespace is a row of `domains` with origin "namespace" and `expires_at`;
 * between its expiry and the reaper's sweep it accepts nothing new (`domainCatchesAll` says no).
 */
import { and, asc, count, eq, isNotNull, lte, min } from "drizzle-orm";
import { accountDelete } from "./accounts.ts";
import { domainNormalize } from "./addresses.ts";
import { type Reader, readFirst, type Write } from "./db.ts";
import { conflict, notFound } from "./errors.ts";
import { accounts, aliases, aliasTargets, dkimKeys, domains } from "./schema.ts";

export interface Namespace {
  domain: string;
  createdAt: number;
  /** Epoch ms. */
  expiresAt: number;
}

const columns = { domain: domains.name, createdAt: domains.createdAt, expiresAt: domains.expiresAt };
const isNamespace = eq(domains.origin, "namespace");

function namespaceOf(row: { domain: string; createdAt: number; expiresAt: number | null }): Namespace {
  return { domain: row.domain, createdAt: row.createdAt, expiresAt: row.expiresAt ?? 0 };
}

export async function namespaceCreate(
  w: Write,
  name: string,
  expiresAt: number,
  createdAt = Date.now(),
): Promise<Namespace> {
  const domain = domainNormalize(name);
  const [existing] = await w.tx.select({ id: domains.id }).from(domains).where(eq(domains.name, domain));
  if (existing) throw conflict(`domain ${domain}`);
  const [row] = await w.tx
    .insert(domains)
    .values({ name: domain, origin: "namespace", expiresAt, createdAt })
    .returning(columns);
  return namespaceOf(row!);
}

/** Every namespace, soonest to expire first (expired ones the reaper has not swept yet included). */
export async function namespaceList(r: Reader): Promise<Namespace[]> {
  const rows = await r.select(columns).from(domains).where(isNamespace).orderBy(asc(domains.expiresAt));
  return rows.map(namespaceOf);
}

export async function namespaceFind(r: Reader, name: string): Promise<Namespace | undefined> {
  const [row] = await r
    .select(columns)
    .from(domains)
    .where(and(isNamespace, eq(domains.name, name.trim().toLowerCase())))
    .limit(1);
  return row ? namespaceOf(row) : undefined;
}

export async function namespaceCount(r: Reader): Promise<number> {
  const [row] = await r.select({ n: count() }).from(domains).where(isNamespace);
  return row?.n ?? 0;
}

/** When the next namespace expires (epoch ms), or null when there is none. */
export async function namespaceNextExpiry(r: Reader): Promise<number | null> {
  const [row] = await r
    .select({ at: min(domains.expiresAt) })
    .from(domains)
    .where(and(isNamespace, isNotNull(domains.expiresAt)));
  return row?.at ?? null;
}

/** Names of the namespaces expired at `now`. */
export async function namespacesExpired(r: Reader, now: number): Promise<string[]> {
  const rows = await r
    .select({ name: domains.name })
    .from(domains)
    .where(and(isNamespace, lte(domains.expiresAt, now)));
  return rows.map((row) => row.name);
}

/**
 * Deletes a namespace with everything in it: its accounts (mailboxes, messages, and the contents no
 * one else shares, through accountDelete, which also tells sessions of those accounts), its aliases,
 * DKIM keys and the domain. Only a namespace: a regular domain is a not_found here.
 */
export async function namespaceDelete(w: Write, name: string): Promise<void> {
  const [domain] = await w.tx
    .select({ id: domains.id, name: domains.name })
    .from(domains)
    .where(and(isNamespace, eq(domains.name, name.trim().toLowerCase())))
    .limit(1);
  if (!domain) throw notFound(`namespace ${name}`);
  const owned = await w.tx
    .select({ address: accounts.address })
    .from(accounts)
    .where(eq(accounts.domainId, domain.id));
  for (const account of owned) await accountDelete(w, account.address);
  const aliasIds = await w.tx.select({ id: aliases.id }).from(aliases).where(eq(aliases.domainId, domain.id));
  for (const alias of aliasIds) await w.tx.delete(aliasTargets).where(eq(aliasTargets.aliasId, alias.id));
  await w.tx.delete(aliases).where(eq(aliases.domainId, domain.id));
  // Foreign keys are not enforced: the cascade is spelled out (as domainDelete does).
  await w.tx.delete(dkimKeys).where(eq(dkimKeys.domainId, domain.id));
  await w.tx.delete(domains).where(eq(domains.id, domain.id));
}

/** Whether `domain` is a namespace that has not expired at `now`: it takes mail for any address. */
export async function domainCatchesAll(r: Reader, domain: string, now: number): Promise<boolean> {
  // Raw and positional: it runs for every message that has local recipients (catch/policy.ts).
  const row = await readFirst(r, {
    sql: "SELECT expires_at FROM domains WHERE origin = 'namespace' AND name = ? AND expires_at > ?",
    args: [domain, now],
  });
  return row !== undefined;
}
