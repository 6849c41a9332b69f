/**
 * OBJECTID (RFC 8474) identifiers as the wire spells them: objectid = 1*255(ALPHA / DIGIT / "_" /
 * "-"). A letter names the kind, then the row id: MAILBOXID "F" + the mailbox row (kept by RENAME,
 * never reused: the id is AUTOINCREMENT), EMAILID "M" + the content row (shared by COPY and MOVE),
 * THREADID "T" + the thread number assigned at delivery (store/thread-ids.ts).
 */

export function mailboxId(id: number): string {
  return `F${id}`;
}

export function emailId(contentId: number): string {
  return `M${contentId}`;
}

export function threadId(thread: number): string {
  return `T${thread}`;
}

/** RFC 8474 §7 objectid syntax; anything else is BAD where an id is expected. */
export function isObjectId(value: string): boolean {
  return /^[A-Za-z0-9_-]{1,255}$/.test(value);
}

/** The row id of an id of this kind, or undefined when it is well-formed but not one of ours. */
export function objectIdNumber(value: string, kind: "F" | "M" | "T"): number | undefined {
  const m = /^([FMT])([1-9]\d{0,15})$/.exec(value);
  return m && m[1] === kind ? Number(m[2]) : undefined;
}
