/**
 * Recipient resolution for delivery: which accounts an envelope address reaches.
 * Order: exact account, exact alias, then the same without a "+tag" (sub-addressing).
 */
import { addressNormalize, addressWithoutTag } from "./addresses.ts";
import { type Reader, rawOf } from "./db.ts";

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

/**
 * One statement per lookup, raw (it runs for every RCPT TO): the account of that exact address,
 * or else the accounts an alias of that address expands to.
 */
async function lookup(r: Reader, address: string): Promise<RecipientAccount[] | undefined> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT id, address, quota, used_bytes, disabled FROM accounts WHERE address = ?1
          UNION ALL
          SELECT a.id, a.address, a.quota, a.used_bytes, a.disabled FROM aliases al
            JOIN alias_targets t ON t.alias_id = al.id JOIN accounts a ON a.id = t.account_id
          WHERE al.address = ?1 AND NOT EXISTS (SELECT 1 FROM accounts WHERE address = ?1)`,
    args: [address],
  });
  if (rows.length === 0) return undefined;
  return rows.map((row) => ({
    id: Number(row.id),
    address: String(row.address),
    quota: row.quota == null ? null : Number(row.quota),
    usedBytes: Number(row.used_bytes),
    disabled: Boolean(Number(row.disabled)),
  }));
}

async function isLocalDomain(r: Reader, domain: string): Promise<boolean> {
  const { rows } = await rawOf(r).execute({ sql: "SELECT 1 FROM domains WHERE name = ?", args: [domain] });
  return rows.length > 0;
}

export async function recipientResolve(r: Reader, address: string): Promise<Resolution> {
  let parts: ReturnType<typeof addressNormalize>;
  try {
    parts = addressNormalize(address);
  } catch {
    return { kind: "invalid" };
  }
  if (!(await isLocalDomain(r, parts.domain))) return { kind: "remote", domain: parts.domain };
  const found = await lookup(r, parts.address);
  if (found) return { kind: "local", accounts: found };
  const untagged = addressWithoutTag(parts.local, parts.domain);
  const viaTag = untagged ? await lookup(r, untagged) : undefined;
  return viaTag ? { kind: "local", accounts: viaTag } : { kind: "unknown" };
}
