/**
 * Issue 17: mail per hour for the dashboard's chart. Received: the message rows stored in the
 * window, by their internal date (the arrival time of mail delivered here; RFC 3501 §2.3.3). Sent:
 * the delivery_hours counts, kept by the queue in the commit that removes a delivered (or bounced)
 * recipient's row (smtp/queue/results.ts), since the row itself is gone after it.
 */
import { type Reader, rawOf, type Write } from "./db.ts";

export const HOUR_MS = 3_600_000;

/** Counts older than this are dropped as new hours are written: the chart shows at most 48 hours. */
const KEEP_MS = 7 * 24 * HOUR_MS;

export interface TrafficHour {
  /** Epoch ms of the start of the UTC hour. */
  hour: number;
  received: number;
  delivered: number;
  bounced: number;
}

/** Counts one commit's delivered and bounced recipients in the hour of `now`. */
export async function deliveryHourAdd(
  w: Write,
  now: number,
  delivered: number,
  bounced: number,
): Promise<void> {
  if (delivered === 0 && bounced === 0) return;
  const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
  await w.exec({
    sql: `INSERT INTO delivery_hours (hour, delivered, bounced) VALUES (?, ?, ?)
          ON CONFLICT (hour) DO UPDATE SET delivered = delivered + excluded.delivered, bounced = bounced + excluded.bounced`,
    args: [hour, delivered, bounced],
  });
  // The primary key is the hour: dropping old ones is a short range delete.
  await w.exec({ sql: "DELETE FROM delivery_hours WHERE hour < ?", args: [hour - KEEP_MS] });
}

/** Each hour from the one `hours - 1` before `now`'s to `now`'s, oldest first, zeros included. */
export async function trafficHourly(
  r: Reader,
  options: { now: number; hours: number },
): Promise<TrafficHour[]> {
  const last = Math.floor(options.now / HOUR_MS) * HOUR_MS;
  const first = last - (options.hours - 1) * HOUR_MS;
  const raw = rawOf(r);
  const [received, sent] = await Promise.all([
    raw.execute({
      sql: `SELECT (internal_date / ${HOUR_MS}) * ${HOUR_MS} AS hour, count(*) AS n FROM messages
            WHERE internal_date >= ? AND internal_date < ? GROUP BY 1`,
      args: [first, last + HOUR_MS],
    }),
    raw.execute({
      sql: "SELECT hour, delivered, bounced FROM delivery_hours WHERE hour >= ? AND hour <= ?",
      args: [first, last],
    }),
  ]);
  const hours = new Map<number, TrafficHour>();
  for (let h = first; h <= last; h += HOUR_MS)
    hours.set(h, { hour: h, received: 0, delivered: 0, bounced: 0 });
  for (const row of received.rows) {
    const entry = hours.get(Number(row.hour));
    if (entry) entry.received = Number(row.n);
  }
  for (const row of sent.rows) {
    const entry = hours.get(Number(row.hour));
    if (entry) {
      entry.delivered = Number(row.delivered);
      entry.bounced = Number(row.bounced);
    }
  }
  return [...hours.values()];
}
