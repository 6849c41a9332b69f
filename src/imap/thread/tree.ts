/**
 * The THREAD response's data (RFC 5256 §4): trees of messages, written as nested parenthesised
 * lists. Shared by both algorithms (references.ts, ordered-subject.ts).
 */

/** One message as the algorithms see it; `n` is what goes on the wire (UID or sequence number). */
export interface ThreadMessage {
  n: number;
  /** RFC 5256 §2.2 sent date (epoch ms). */
  date: number;
  /** Casefolded base subject (§2.1). */
  baseSubject: string;
  isReply: boolean;
  messageId: string;
  references: readonly string[];
}

/** A node of a thread tree; `message` is absent for a dummy (a referenced message we do not have). */
export interface ThreadNode {
  message?: ThreadMessage;
  children: ThreadNode[];
}

/**
 * thread-list = "(" (thread-members / thread-nested) ")"; thread-members = nz-number *(SP nz-number)
 * [SP thread-nested]; thread-nested = 2*thread-list (RFC 5256 §4). A chain of only children is one
 * list; two or more children are nested lists; a dummy shows only through its children.
 */
export function formatThreads(roots: readonly ThreadNode[]): string {
  return roots.map((r) => `(${members(r)})`).join("");
}

function members(node: ThreadNode): string {
  const numbers: number[] = [];
  let current: ThreadNode = node;
  // Walk the single-child chain iteratively: a long reply chain must not exhaust the stack.
  for (;;) {
    if (current.message) numbers.push(current.message.n);
    if (current.children.length !== 1) break;
    current = current.children[0]!;
  }
  const head = numbers.join(" ");
  if (current.children.length === 0) return head;
  const nested = current.children.map((c) => `(${members(c)})`).join("");
  return head === "" ? nested : `${head} ${nested}`;
}

/** RFC 5256 §2.2 / §3: by sent date, ties in mailbox order (n ascending). */
export function byDate(a: ThreadMessage, b: ThreadMessage): number {
  return a.date - b.date || a.n - b.n;
}
