/**
 * Names for the live events (issue 16): the addresses of accounts and the names of mailboxes by id,
 * many at once, for describing store changes (src/events/store-feed.ts) without a read per change.
 */
import { type Reader, rawOf } from "./db.ts";

/** Account id -> address, for the ids that still exist. */
export async function accountAddressesOf(r: Reader, ids: readonly number[]): Promise<Map<number, string>> {
  return namesOf(r, "SELECT id, address AS name FROM accounts", ids);
}

/** Mailbox id -> name, for the ids that still exist. */
export async function mailboxNamesOf(r: Reader, ids: readonly number[]): Promise<Map<number, string>> {
  return namesOf(r, "SELECT id, name FROM mailboxes", ids);
}

/** Bound to SQLite's default limit of variables per statement (999) with room to spare. */
const IDS_PER_STATEMENT = 500;

async function namesOf(r: Reader, select: string, ids: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += IDS_PER_STATEMENT) {
    const chunk = unique.slice(i, i + IDS_PER_STATEMENT);
    const { rows } = await rawOf(r).execute({
      sql: `${select} WHERE id IN (${chunk.map(() => "?").join(", ")})`,
      args: chunk,
    });
    for (const row of rows as unknown as Array<{ id: number | bigint; name: string }>)
      out.set(Number(row.id), String(row.name));
  }
  return out;
}
