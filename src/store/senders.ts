/**
 * Who an account may send as (RFC 6409 §6.1: the MSA checks the submitter's identity against the
 * message): its own address and every alias that delivers to it.
 */
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
