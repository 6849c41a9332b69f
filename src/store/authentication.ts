/**
 * What the inbound checks found for a message (contents.authentication, JSON), and the Junk mailbox
 * a DMARC quarantine delivers into (RFC 6154 \Junk). The store keeps the JSON as given; its shape is
 * the SMTP side's (src/smtp/authentication/types.ts).
 */
import { type Reader, rawOf, type Write } from "./db.ts";
import { mailboxCreate } from "./mailboxes.ts";

/** Records the results on a stored content; one statement, inside the delivery's write. */
export async function contentAuthenticationSet(w: Write, contentId: number, results: unknown): Promise<void> {
  await w.exec({
    sql: "UPDATE contents SET authentication = ? WHERE id = ?",
    args: [JSON.stringify(results), contentId],
  });
}

/** The recorded results, or null for mail that was not checked (submission, APPEND, imports). */
export async function contentAuthentication(r: Reader, contentId: number): Promise<unknown | null> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT authentication FROM contents WHERE id = ?",
    args: [contentId],
  });
  const text = rows[0]?.authentication;
  return typeof text === "string" ? (JSON.parse(text) as unknown) : null;
}

/**
 * The account's \Junk mailbox: the one marked so, else one named "Junk" (marked now), else a new
 * "Junk". Every account gets one at creation; an account from before, or one whose user deleted it,
 * gets it back here. Undefined when it cannot be created (the account is at its mailbox limit).
 */
export async function mailboxJunk(w: Write, accountId: number): Promise<number | undefined> {
  const { rows } = await w.exec({
    sql: `SELECT id, special_use FROM mailboxes WHERE account_id = ? AND (special_use = '\\Junk' OR name = 'Junk')
          ORDER BY special_use IS NULL LIMIT 1`,
    args: [accountId],
  });
  const row = rows[0];
  if (row) {
    if (row.special_use === null)
      await w.exec({
        sql: "UPDATE mailboxes SET special_use = '\\Junk' WHERE id = ?",
        args: [Number(row.id)],
      });
    return Number(row.id);
  }
  try {
    return (await mailboxCreate(w, accountId, "Junk", { specialUse: "\\Junk" })).id;
  } catch {
    return undefined;
  }
}
