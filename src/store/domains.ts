/** Local domains: mail for these is delivered here; anything else is relaying. */
import { asc, eq, sql } from "drizzle-orm";
import { domainNormalize } from "./addresses.ts";
import type { Reader, Write } from "./db.ts";
import { conflict, notFound, StoreError } from "./errors.ts";
import { accounts, aliases, dkimKeys, domains } from "./schema.ts";

export interface Domain {
  name: string;
  createdAt: number;
}

export async function domainList(r: Reader): Promise<Domain[]> {
  return r
    .select({ name: domains.name, createdAt: domains.createdAt })
    .from(domains)
    .orderBy(asc(domains.name));
}

export async function domainFind(r: Reader, name: string): Promise<{ id: number; name: string } | undefined> {
  const [row] = await r
    .select({ id: domains.id, name: domains.name })
    .from(domains)
    .where(eq(domains.name, name))
    .limit(1);
  return row;
}

export async function domainCreate(
  w: Write,
  name: string,
  options: { ifMissing?: boolean } = {},
): Promise<Domain> {
  const normalized = domainNormalize(name);
  const existing = await domainFind(w.tx, normalized);
  if (existing) {
    if (options.ifMissing)
      return (
        await w.tx
          .select({ name: domains.name, createdAt: domains.createdAt })
          .from(domains)
          .where(eq(domains.id, existing.id))
      )[0]!;
    throw conflict(`domain ${normalized}`);
  }
  const [row] = await w.tx
    .insert(domains)
    .values({ name: normalized })
    .returning({ name: domains.name, createdAt: domains.createdAt });
  return row!;
}

/** Deleting a domain that still has accounts or aliases would orphan mail: refuse it. */
export async function domainDelete(w: Write, name: string): Promise<void> {
  const domain = await domainFind(w.tx, domainNormalize(name));
  if (!domain) throw notFound(`domain ${name}`);
  const [users] = await w.tx
    .select({ n: sql<number>`count(*)` })
    .from(accounts)
    .where(eq(accounts.domainId, domain.id));
  const [alias] = await w.tx
    .select({ n: sql<number>`count(*)` })
    .from(aliases)
    .where(eq(aliases.domainId, domain.id));
  if ((users?.n ?? 0) > 0 || (alias?.n ?? 0) > 0) {
    throw new StoreError(
      "conflict",
      `domain ${domain.name} still has ${users?.n ?? 0} accounts and ${alias?.n ?? 0} aliases`,
    );
  }
  // Its DKIM keys go with it (foreign keys are not enforced, so the cascade is spelled out).
  await w.tx.delete(dkimKeys).where(eq(dkimKeys.domainId, domain.id));
  await w.tx.delete(domains).where(eq(domains.id, domain.id));
}
