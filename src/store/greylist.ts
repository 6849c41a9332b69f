/**
 * Greylisting state (RFC 6647): triplets of client network, envelope sender and recipient with
 * when they were first and last seen and when a retry first passed. The policy (delays, what is
 * exempt) is the caller's (src/spam/greylist.ts); this module only keeps the rows. Raw statements:
 * with greylisting on, every inbound message asks.
 */
import { placeholders } from "./chunks.ts";
import { type Reader, rawFirst, type Write } from "./db.ts";

export interface GreylistKey {
  /** "192.0.2.0/24" or "2001:db8:1:2::/64" (RFC 6647: big senders retry from other addresses of the same network). */
  clientNet: string;
  /** Lower-cased envelope sender, "" for the null sender. */
  sender: string;
}

export interface GreylistTiming {
  now: number;
  /** How long a new triplet is deferred (a few minutes). */
  delayMs: number;
  /** A passed triplet (or sender) is remembered this long after it was last seen. */
  memoryMs: number;
  /** A deferred triplet not retried after the delay within this long is forgotten. */
  retryWindowMs: number;
}

interface Row {
  recipient: string;
  firstSeen: number;
  lastSeen: number;
  passedAt: number | null;
}

/**
 * When this client network and sender was last seen after passing greylisting before (for any
 * recipient), within the memory period; undefined when it never passed: RFC 6647's
 * auto-whitelisting of senders that retried once.
 */
export async function greylistSenderSeen(
  r: Reader,
  key: GreylistKey,
  timing: GreylistTiming,
): Promise<number | undefined> {
  const seen = (
    await rawFirst(r, {
      sql: `SELECT max(last_seen) AS seen FROM greylist WHERE client_net = ? AND sender = ?
            AND passed_at IS NOT NULL AND last_seen >= ?`,
      args: [key.clientNet, key.sender, timing.now - timing.memoryMs],
    })
  )?.seen;
  return seen == null ? undefined : Number(seen);
}

/**
 * Looks at each recipient's triplet and records this attempt: a new (or forgotten) triplet starts
 * its delay, a retry after the delay passes it, a passed one has its memory renewed (at most once
 * an hour, so a busy sender does not cost a write per message). Returns the recipients still
 * deferred. Recipients are lower-cased by the caller.
 */
export async function greylistAttempt(
  w: Write,
  key: GreylistKey,
  recipients: readonly string[],
  timing: GreylistTiming,
): Promise<string[]> {
  const { now } = timing;
  const found = new Map<string, Row>();
  if (recipients.length > 0) {
    const { rows } = await w.exec({
      sql: `SELECT recipient, first_seen, last_seen, passed_at FROM greylist
            WHERE client_net = ? AND sender = ? AND recipient IN (${placeholders(recipients.length)})`,
      args: [key.clientNet, key.sender, ...recipients],
    });
    for (const row of rows)
      found.set(String(row.recipient), {
        recipient: String(row.recipient),
        firstSeen: Number(row.first_seen),
        lastSeen: Number(row.last_seen),
        passedAt: row.passed_at == null ? null : Number(row.passed_at),
      });
  }
  const deferred: string[] = [];
  for (const recipient of new Set(recipients)) {
    const row = found.get(recipient);
    const expired =
      row !== undefined &&
      (row.passedAt === null
        ? now - row.firstSeen > timing.delayMs + timing.retryWindowMs
        : now - row.lastSeen > timing.memoryMs);
    if (!row || expired) {
      await w.exec({
        sql: `INSERT INTO greylist (client_net, sender, recipient, first_seen, last_seen, passed_at)
              VALUES (?, ?, ?, ?, ?, NULL)
              ON CONFLICT (client_net, sender, recipient)
              DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, passed_at = NULL`,
        args: [key.clientNet, key.sender, recipient, now, now],
      });
      deferred.push(recipient);
      continue;
    }
    if (row.passedAt !== null) {
      if (now - row.lastSeen > 3_600_000) await greylistTouch(w, key, recipient, now, row.passedAt);
      continue;
    }
    // A retry before the delay is deferred again, without restarting the clock.
    if (now - row.firstSeen < timing.delayMs) {
      deferred.push(recipient);
      continue;
    }
    await greylistTouch(w, key, recipient, now, now);
  }
  return deferred;
}

/**
 * Records triplets as passed without a delay (mail that authenticated as its domain with DMARC
 * pass, or from a sender already known), so later mail of theirs passes without asking again.
 */
export async function greylistPass(
  w: Write,
  key: GreylistKey,
  recipients: readonly string[],
  now: number,
): Promise<void> {
  for (const recipient of new Set(recipients)) {
    await w.exec({
      sql: `INSERT INTO greylist (client_net, sender, recipient, first_seen, last_seen, passed_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (client_net, sender, recipient)
            DO UPDATE SET last_seen = excluded.last_seen, passed_at = coalesce(greylist.passed_at, excluded.passed_at)`,
      args: [key.clientNet, key.sender, recipient, now, now, now],
    });
  }
}

async function greylistTouch(
  w: Write,
  key: GreylistKey,
  recipient: string,
  now: number,
  passedAt: number,
): Promise<void> {
  await w.exec({
    sql: "UPDATE greylist SET last_seen = ?, passed_at = ? WHERE client_net = ? AND sender = ? AND recipient = ?",
    args: [now, passedAt, key.clientNet, key.sender, recipient],
  });
}

/** Removes what the memory period and the retry window say to forget; returns how many rows went. */
export async function greylistPrune(w: Write, timing: GreylistTiming): Promise<number> {
  const result = await w.exec({
    sql: `DELETE FROM greylist WHERE (passed_at IS NOT NULL AND last_seen < ?)
          OR (passed_at IS NULL AND first_seen < ?)`,
    args: [timing.now - timing.memoryMs, timing.now - timing.delayMs - timing.retryWindowMs],
  });
  return result.rowsAffected;
}
