/**
 * Recipient resolution for delivery: which accounts an envelope address reaches.
 * Order: exact account, exact alias, then the same without a "+tag" (sub-addressing).
 */
import { eq } from "drizzle-orm";
import { addressNormalize, addressWithoutTag } from "./addresses.ts";
import type { Reader } from "./db.ts";
import { domainFind } from "./domains.ts";
import { accounts, aliases, aliasTargets } from "./schema.ts";

export interface RecipientAccount {
  id: number;
  address: string;
  quota: number | null;
  usedBytes: number;
  disabled: boolean;
}

export type Resolution =
  | { kind: "local"; accounts: RecipientAccount[] }
  /** A local domain, but no such account or alias: 550 5.1.1. */
  | { kind: "unknown" }
  /** Not one of our domains: relaying. */
  | { kind: "remote"; domain: string }
  | { kind: "invalid" };

const accountColumns = {
  id: accounts.id,
  address: accounts.address,
  quota: accounts.quota,
  usedBytes: accounts.usedBytes,
  disabled: accounts.disabled,
};

async function lookup(r: Reader, address: string): Promise<RecipientAccount[] | undefined> {
  const direct = await r.select(accountColumns).from(accounts).where(eq(accounts.address, address)).limit(1);
  if (direct.length > 0) return direct;
  const viaAlias = await r
    .select(accountColumns)
    .from(aliases)
    .innerJoin(aliasTargets, eq(aliasTargets.aliasId, aliases.id))
    .innerJoin(accounts, eq(accounts.id, aliasTargets.accountId))
    .where(eq(aliases.address, address));
  return viaAlias.length > 0 ? viaAlias : undefined;
}

export async function recipientResolve(r: Reader, address: string): Promise<Resolution> {
  let parts: ReturnType<typeof addressNormalize>;
  try {
    parts = addressNormalize(address);
  } catch {
    return { kind: "invalid" };
  }
  if (!(await domainFind(r, parts.domain))) return { kind: "remote", domain: parts.domain };
  const found = await lookup(r, parts.address);
  if (found) return { kind: "local", accounts: found };
  const untagged = addressWithoutTag(parts.local, parts.domain);
  const viaTag = untagged ? await lookup(r, untagged) : undefined;
  return viaTag ? { kind: "local", accounts: viaTag } : { kind: "unknown" };
}
