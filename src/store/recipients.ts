/**
 * Recipient resolution for delivery: which accounts an envelope address reaches.
 * Order: exact account, exact alias, then the same without a "+tag" (sub-addressing); for postmaster
 * (RFC 5321 §4.5.1: every domain has one, bare "postmaster" included) a default after those.
 */

import { addressNormalize, addressWithoutTag } from "./addresses.ts";
import { type Reader, rawOf } from "./db.ts";
import type { ReadRow } from "./read-statements.ts";

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
  return rows.map(accountOf);
}

function accountOf(row: ReadRow): RecipientAccount {
  return {
    id: Number(row.id),
    address: String(row.address),
    quota: row.quota == null ? null : Number(row.quota),
    usedBytes: Number(row.used_bytes),
    disabled: Boolean(Number(row.disabled)),
  };
}

async function isLocalDomain(r: Reader, domain: string): Promise<boolean> {
  const { rows } = await rawOf(r).execute({ sql: "SELECT 1 FROM domains WHERE name = ?", args: [domain] });
  return rows.length > 0;
}

export interface ResolveOptions {
  /** The domain of a bare "postmaster" (RFC 5321 §4.1.1.3); without it, bare "postmaster" is invalid. */
  primaryDomain?: string | undefined;
  /** Where postmaster mail goes when its domain has no postmaster account or alias (MAILROOM_POSTMASTER). */
  postmaster?: string | undefined;
}

export async function recipientResolve(
  r: Reader,
  address: string,
  options: ResolveOptions = {},
): Promise<Resolution> {
  // RFC 5321 §4.1.1.3: "postmaster" without a domain, in any case, is the server's postmaster.
  const bare = address.trim().toLowerCase() === "postmaster" && options.primaryDomain !== undefined;
  let parts: ReturnType<typeof addressNormalize>;
  try {
    parts = addressNormalize(bare ? `postmaster@${options.primaryDomain}` : address);
  } catch {
    return { kind: "invalid" };
  }
  if (!(await isLocalDomain(r, parts.domain))) return { kind: "remote", domain: parts.domain };
  const found = await lookup(r, parts.address);
  if (found) return { kind: "local", accounts: found };
  const untagged = addressWithoutTag(parts.local, parts.domain);
  const viaTag = untagged ? await lookup(r, untagged) : undefined;
  if (viaTag) return { kind: "local", accounts: viaTag };
  if ((untagged ?? parts.address) === `postmaster@${parts.domain}`) {
    const accounts = await postmasterDefault(r, parts.domain, options.postmaster);
    if (accounts) return { kind: "local", accounts };
  }
  return { kind: "unknown" };
}

/**
 * RFC 5321 §4.5.1: postmaster must be accepted at every local domain. Without an account or alias of
 * that name: the configured postmaster address, else the domain's first enabled account, else the
 * server's first enabled account (creation order). Nothing is stored for it, so existing databases,
 * new domains and deleted accounts need no upkeep; an alias postmaster@<domain> overrides it.
 */
async function postmasterDefault(
  r: Reader,
  domain: string,
  configured: string | undefined,
): Promise<RecipientAccount[] | undefined> {
  if (configured !== undefined) {
    let target: string | undefined;
    try {
      target = addressNormalize(configured).address;
    } catch {
      target = undefined;
    }
    const found = target === undefined ? undefined : await lookup(r, target);
    if (found) return found;
  }
  // Two indexed lookups (accounts_domain, then the rowid order), each stopping at the first match.
  const columns = "SELECT id, address, quota, used_bytes, disabled FROM accounts";
  const inDomain = await rawOf(r).execute({
    sql: `${columns} WHERE domain_id = (SELECT id FROM domains WHERE name = ?) AND disabled = 0 ORDER BY id LIMIT 1`,
    args: [domain],
  });
  if (inDomain.rows.length > 0) return inDomain.rows.map(accountOf);
  const any = await rawOf(r).execute(`${columns} WHERE disabled = 0 ORDER BY id LIMIT 1`);
  return any.rows.length > 0 ? any.rows.map(accountOf) : undefined;
}
