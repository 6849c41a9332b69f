/**
 * Issue 17: the web interface's sign-in sessions (table web_sessions). The caller (src/api/ui/
 * sessions.ts) makes the ids and hashes them; this module keeps rows keyed by that hash and answers
 * a lookup only while the session still matches what it was signed in with:
 * - an admin session, while the admin token's digest is the one it was made with (a new token in
 *   the config ends every admin session at the next start);
 * - an account's session, while the account exists, is not disabled and its password hash is the
 *   one it was made with (a new password ends its sessions, whoever changed it: API, CLI).
 * Raw statements: a lookup runs on every request of a signed-in page.
 */
import { createHash } from "node:crypto";
import { type Reader, rawFirst, rawOf, type Write } from "./db.ts";

export interface WebSessionRow {
  kind: "admin" | "account";
  /** The account's address; null for an admin session. */
  address: string | null;
  createdAt: number;
  lastSeenAt: number;
}

/** A digest of a credential, so that neither a password hash nor the admin token is copied here. */
export function credentialDigest(credential: string): string {
  return createHash("sha256").update("mailroom-web-session\0").update(credential).digest("base64url");
}

export async function webSessionCreate(
  w: Write,
  input: {
    idHash: string;
    now: number;
    /** Sessions held at most: the least recently used beyond it are dropped. */
    max: number;
    /** Sessions idle or older than these are dropped while we are here. */
    idleMs: number;
    absoluteMs: number;
  } & ({ kind: "admin"; adminToken: string } | { kind: "account"; address: string }),
): Promise<boolean> {
  const { now } = input;
  await w.exec({
    sql: "DELETE FROM web_sessions WHERE last_seen_at < ? OR created_at < ?",
    args: [now - input.idleMs, now - input.absoluteMs],
  });
  if (input.kind === "admin") {
    await w.exec({
      sql: `INSERT INTO web_sessions (id_hash, kind, account_id, credential, created_at, last_seen_at)
            VALUES (?, 'admin', NULL, ?, ?, ?)`,
      args: [input.idHash, credentialDigest(input.adminToken), now, now],
    });
  } else {
    const { rows } = await w.exec({
      sql: "SELECT id, password_hash FROM accounts WHERE address = ? AND disabled = 0",
      args: [input.address],
    });
    const account = rows[0];
    if (!account) return false;
    await w.exec({
      sql: `INSERT INTO web_sessions (id_hash, kind, account_id, credential, created_at, last_seen_at)
            VALUES (?, 'account', ?, ?, ?, ?)`,
      args: [input.idHash, Number(account.id), credentialDigest(String(account.password_hash)), now, now],
    });
  }
  // The bound: drop the least recently used beyond `max` (an index on last_seen_at walks them).
  await w.exec({
    sql: `DELETE FROM web_sessions WHERE id_hash IN
            (SELECT id_hash FROM web_sessions ORDER BY last_seen_at DESC LIMIT -1 OFFSET ?)`,
    args: [input.max],
  });
  return true;
}

/**
 * The session with this id hash if it still matches its credential (see the module comment);
 * a row that no longer does is left for webSessionCreate's sweep or webSessionDelete.
 */
export async function webSessionGet(
  r: Reader,
  idHash: string,
  adminToken: string,
): Promise<WebSessionRow | undefined> {
  const row = await rawFirst(r, {
    sql: `SELECT s.kind, s.credential, s.created_at, s.last_seen_at, a.address, a.password_hash, a.disabled
          FROM web_sessions s LEFT JOIN accounts a ON a.id = s.account_id WHERE s.id_hash = ?`,
    args: [idHash],
  });
  if (!row) return undefined;
  const credential = String(row.credential);
  const base = { createdAt: Number(row.created_at), lastSeenAt: Number(row.last_seen_at) };
  if (row.kind === "admin")
    return credential === credentialDigest(adminToken)
      ? { kind: "admin", address: null, ...base }
      : undefined;
  if (row.address == null || Number(row.disabled) !== 0) return undefined;
  if (credential !== credentialDigest(String(row.password_hash))) return undefined;
  return { kind: "account", address: String(row.address), ...base };
}

/** Marks a session used now. */
export async function webSessionTouch(w: Write, idHash: string, now: number): Promise<void> {
  await w.exec({ sql: "UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?", args: [now, idHash] });
}

export async function webSessionDelete(w: Write, idHash: string): Promise<void> {
  await w.exec({ sql: "DELETE FROM web_sessions WHERE id_hash = ?", args: [idHash] });
}

/** Ends every session of an account (by address), e.g. when it is deleted. */
export async function webSessionsEndAccount(w: Write, address: string): Promise<void> {
  await w.exec({
    sql: "DELETE FROM web_sessions WHERE account_id IN (SELECT id FROM accounts WHERE address = ?)",
    args: [address],
  });
}

/** Sessions held now (tests, the bound). */
export async function webSessionCount(r: Reader): Promise<number> {
  const { rows } = await rawOf(r).execute("SELECT count(*) AS n FROM web_sessions");
  return Number(rows[0]?.n ?? 0);
}
