/**
 * RFC 5322 §3.3 date-time to epoch milliseconds, accepting the §4.3 obsolete
 * forms (two/three-digit years, named and military zones, missing seconds)
 * and falling back to the platform parser for non-RFC formats such as ISO 8601.
 */

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

/** §4.3 obs-zone offsets in minutes. Military letters are unreliable in practice, so they count as -0000 (UTC). */
const ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  edt: -240,
  est: -300,
  cdt: -300,
  cst: -360,
  mdt: -360,
  mst: -420,
  pdt: -420,
  pst: -480,
};

const DATE_TIME =
  /(\d{1,2})[\s-]*([a-z]{3})[a-z]*\.?[\s-]*(\d{2,4})[\s,]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?\s*([+-]\d{2}:?\d{2}|[a-z]+)?/;

function zoneOffset(zone: string | undefined): number {
  if (!zone) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (m) {
    const minutes = Number(m[2]) * 60 + Number(m[3]);
    return m[1] === "-" ? -minutes : minutes;
  }
  return ZONES[zone] ?? 0;
}

/** What a Date header says: its instant, and its calendar day as written (in its own zone). */
export interface SentDate {
  /** Epoch milliseconds. */
  ms: number;
  /**
   * The date part as the header writes it, in its own time zone, as whole days since 1970-01-01:
   * what SEARCH SENTBEFORE / SENTON / SENTSINCE compare (RFC 3501 §6.4.4 "disregarding time and
   * timezone"), so "Sun, 25 Mar 2007 00:00:00 +0200" is the 25th though it is the 24th in UTC.
   */
  day: number;
}

const DAY_MS = 86_400_000;

/** Epoch ms of a Date header value, or null when missing or unparseable. */
export function parseDate(value: string | null): number | null {
  return parseSentDate(value)?.ms ?? null;
}

/** A Date header value's instant and own calendar day, or null when missing or unparseable. */
export function parseSentDate(value: string | null): SentDate | null {
  if (value === null) return null;
  // A real date is short; bounding the input keeps hostile headers cheap.
  const text = value
    .slice(0, 256)
    .replace(/\([^()]*\)/g, " ")
    .toLowerCase();
  const m = DATE_TIME.exec(text);
  if (m) {
    const [, d, mon, y, hh, mm, ss, zone] = m;
    const month = MONTHS[mon ?? ""];
    let year = Number(y);
    // §4.3: two-digit years below 50 are 20xx, others 19xx; three-digit years add 1900.
    if (y !== undefined && y.length === 2) year += year < 50 ? 2000 : 1900;
    else if (y !== undefined && y.length === 3) year += 1900;
    const day = Number(d);
    const hour = Number(hh);
    const minute = Number(mm);
    const second = ss === undefined ? 0 : Number(ss);
    if (month !== undefined && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60) {
      const local = Date.UTC(year, month, day, hour, minute, second);
      const ms = local - zoneOffset(zone) * 60_000;
      if (Number.isFinite(ms)) return { ms, day: Math.floor(Date.UTC(year, month, day) / DAY_MS) };
    }
  }
  const head = value.slice(0, 256);
  const fallback = Date.parse(head);
  if (!Number.isFinite(fallback)) return null;
  // ISO 8601 and the like: the date as written when it leads, else the UTC date.
  const iso = /^\s*(\d{4})-(\d{2})-(\d{2})/.exec(head);
  const day = iso
    ? Math.floor(Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3])) / DAY_MS)
    : Math.floor(fallback / DAY_MS);
  return { ms: fallback, day };
}
