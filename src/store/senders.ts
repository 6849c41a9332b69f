/**
 * Who an account may send as (RFC 6409 §6.1: the MSA checks the submitter's identity against the
 * message): its own address and every alias that delivers to it.
 */
import { inChunks } from "./chunks.ts";
import { type Reader, rawOf } from "./db.ts";

/** The account's address and its aliases' addresses, lower-case; empty when the account is gone. */
export async function accountSendAddresses(r: Reader, accountId: number): Promise<string[]> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT address FROM accounts WHERE id = ?1
          UNION
          SELECT al.address FROM aliases al JOIN alias_targets t ON t.alias_id = al.id
            WHERE t.account_id = ?1 AND EXISTS (SELECT 1 FROM accounts WHERE id = ?1)`,
    args: [accountId],
  });
  return rows.map((row) => String(row.address).toLowerCase());
}

/**
 * Which of `addresses` (lower-case) are themselves an account's or an alias's address, whoever's:
 * such an address is never a "+tag" form of another (issue 9). One statement per 100 addresses.
 */
export async function addressesInUse(r: Reader, addresses: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  await inChunks(addresses, 100, async (list) => {
    // Numbered, so both IN lists share one binding of each address.
    const marks = list.map((_, k) => `?${k + 1}`).join(", ");
    const { rows } = await rawOf(r).execute({
      sql: `SELECT address FROM accounts WHERE address IN (${marks})
            UNION SELECT address FROM aliases WHERE address IN (${marks})`,
      args: list,
    });
    for (const row of rows) found.add(String(row.address).toLowerCase());
  });
  return found;
}
