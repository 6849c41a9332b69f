/** Aliases: an address on a local domain that delivers to one or more accounts. */
import { asc, eq, inArray } from "drizzle-orm";
import { addressNormalize } from "./addresses.ts";
import type { Reader, Write } from "./db.ts";
import { domainFind } from "./domains.ts";
import { conflict, invalid, notFound } from "./errors.ts";
import { accounts, aliases, aliasTargets } from "./schema.ts";

export interface Alias {
  address: string;
  targets: string[];
  createdAt: number;
}

export async function aliasList(r: Reader): Promise<Alias[]> {
  const rows = await r
    .select({
      id: aliases.id,
      address: aliases.address,
      createdAt: aliases.createdAt,
      target: accounts.address,
    })
    .from(aliases)
    .leftJoin(aliasTargets, eq(aliasTargets.aliasId, aliases.id))
    .leftJoin(accounts, eq(accounts.id, aliasTargets.accountId))
    .orderBy(asc(aliases.address), asc(accounts.address));
  const byId = new Map<number, Alias>();
  for (const row of rows) {
    let alias = byId.get(row.id);
    if (!alias) {
      alias = { address: row.address, targets: [], createdAt: row.createdAt };
      byId.set(row.id, alias);
    }
    if (row.target) alias.targets.push(row.target);
  }
  return [...byId.values()];
}

export async function aliasCreate(w: Write, address: string, targets: string[]): Promise<Alias> {
  const { address: normalized, domain } = addressNormalize(address);
  const domainRow = await domainFind(w.tx, domain);
  if (!domainRow) throw invalid(`domain ${domain} is not a local domain; create it first`);
  if (targets.length === 0) throw invalid("an alias needs at least one target account");
  const existingAccount = await w.tx
    .select({ id: accounts.id })
    .from(accounts)
    .where(eq(accounts.address, normalized))
    .limit(1);
  const existingAlias = await w.tx
    .select({ id: aliases.id })
    .from(aliases)
    .where(eq(aliases.address, normalized))
    .limit(1);
  if (existingAccount.length > 0 || existingAlias.length > 0) throw conflict(`address ${normalized}`);
  const wanted = [...new Set(targets.map((t) => addressNormalize(t).address))];
  const found = await w.tx
    .select({ id: accounts.id, address: accounts.address })
    .from(accounts)
    .where(inArray(accounts.address, wanted));
  const missing = wanted.filter((t) => !found.some((f) => f.address === t));
  if (missing.length > 0) throw invalid(`target accounts do not exist: ${missing.join(", ")}`);
  const [row] = await w.tx
    .insert(aliases)
    .values({ address: normalized, domainId: domainRow.id })
    .returning({ id: aliases.id, createdAt: aliases.createdAt });
  await w.tx.insert(aliasTargets).values(found.map((f) => ({ aliasId: row!.id, accountId: f.id })));
  return { address: normalized, targets: found.map((f) => f.address).sort(), createdAt: row!.createdAt };
}

export async function aliasDelete(w: Write, address: string): Promise<void> {
  const [row] = await w.tx
    .select({ id: aliases.id })
    .from(aliases)
    .where(eq(aliases.address, address.trim().toLowerCase()))
    .limit(1);
  if (!row) throw notFound(`alias ${address}`);
  await w.tx.delete(aliasTargets).where(eq(aliasTargets.aliasId, row.id));
  await w.tx.delete(aliases).where(eq(aliases.id, row.id));
}
