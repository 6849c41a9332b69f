/**
 * THREAD=REFERENCES (RFC 5256 §3, after Jamie Zawinski's algorithm): messages are linked into trees
 * through their Message-ID and References (In-Reply-To standing in), dummies stand for referenced
 * messages that are not in the mailbox and are pruned, roots that share a base subject are grouped,
 * and siblings are sorted by sent date. Pure: the rows come from the store, stored at delivery.
 * Deep chains are walked with explicit stacks, never recursion: a hostile mailbox can hold a reply
 * chain as long as the mailbox.
 */
import { byDate, type ThreadMessage, type ThreadNode } from "./tree.ts";

interface Container extends ThreadNode {
  message?: ThreadMessage;
  parent?: Container;
  children: Container[];
}

/** Would making `parent` the parent of `child` create a loop (parent is child or below it)? */
function wouldLoop(parent: Container, child: Container): boolean {
  if (parent === child) return true;
  if (child.children.length === 0) return false;
  for (let c: Container | undefined = parent; c; c = c.parent) if (c === child) return true;
  return false;
}

function unlink(c: Container): void {
  if (!c.parent) return;
  const siblings = c.parent.children;
  siblings.splice(siblings.indexOf(c), 1);
  c.parent = undefined;
}

function link(parent: Container, child: Container): void {
  child.parent = parent;
  parent.children.push(child);
}

/** §3 step 1: the containers, linked by the references. Returns the root set (step 2). */
function linkAll(messages: readonly ThreadMessage[]): Container[] {
  const table = new Map<string, Container>();
  const all: Container[] = [];
  const containerOf = (id: string): Container => {
    let c = table.get(id);
    if (!c) {
      c = { children: [] };
      table.set(id, c);
      all.push(c);
    }
    return c;
  };
  for (const message of messages) {
    // A missing or duplicate Message-ID gets a unique one (NUL cannot occur in a stored id).
    let id = message.messageId;
    if (id === "" || table.get(id)?.message) id = `\0${message.n}`;
    // (A)
    const container = containerOf(id);
    container.message = message;
    // (B) each reference the parent of the next, unless one has a parent already or a loop would form.
    const refs = message.references.map(containerOf);
    for (let i = 0; i + 1 < refs.length; i++) {
      const parent = refs[i]!;
      const child = refs[i + 1]!;
      if (!child.parent && !wouldLoop(parent, child)) link(parent, child);
    }
    // (C) the last reference is this message's parent, replacing any parent guessed before.
    const last = refs[refs.length - 1];
    if (last === container.parent && last) continue;
    unlink(container);
    if (last && !wouldLoop(last, container)) link(last, container);
  }
  return all.filter((c) => !c.parent);
}

/** §3 step 3: dummies without children go; others give way to their children, except at the root when several. */
function prune(roots: Container[]): Container[] {
  // Post-order without recursion: children are pruned before their parent is looked at.
  const order: Array<{ node: Container; root: boolean }> = [];
  const stack: Array<{ node: Container; root: boolean }> = roots.map((node) => ({ node, root: true }));
  while (stack.length > 0) {
    const entry = stack.pop()!;
    order.push(entry);
    for (const child of entry.node.children) stack.push({ node: child, root: false });
  }
  const kept = new Map<Container, Container[]>();
  for (let i = order.length - 1; i >= 0; i--) {
    const { node } = order[i]!;
    const children: Container[] = [];
    for (const child of node.children) children.push(...(kept.get(child) ?? []));
    node.children = children;
    for (const child of children) child.parent = node;
    kept.set(node, replacement(node, order[i]!.root));
  }
  return roots.flatMap((r) => kept.get(r) ?? []);
}

function replacement(node: Container, atRoot: boolean): Container[] {
  if (node.message) return [node];
  if (node.children.length === 0) return [];
  if (!atRoot || node.children.length === 1) return node.children;
  return [node];
}

/** The message a container is dated and named by: its own, or (a dummy) its first child's. */
function representative(c: Container): ThreadMessage | undefined {
  return c.message ?? c.children[0]?.message;
}

/** Sorts every sibling list by sent date, deepest first, so a dummy's first child is known (steps 4, 6). */
function sortAll(roots: Container[]): void {
  const lists: Container[][] = [];
  const stack: Container[][] = [roots];
  while (stack.length > 0) {
    const list = stack.pop()!;
    lists.push(list);
    for (const c of list) if (c.children.length > 0) stack.push(c.children);
  }
  for (let i = lists.length - 1; i >= 0; i--) {
    lists[i]!.sort((a, b) => byDate(representative(a)!, representative(b)!));
  }
}

/** §3 step 5: roots with the same base subject are gathered together. */
function groupBySubject(roots: Container[]): Container[] {
  const table = new Map<string, Container>();
  // (B) the container that stands for each subject: a dummy over a message, a non-reply over a reply.
  for (const c of roots) {
    const subject = representative(c)?.baseSubject ?? "";
    if (subject === "") continue;
    const old = table.get(subject);
    if (!old || (!c.message && old.message) || (old.message?.isReply && c.message && !c.message.isReply))
      table.set(subject, c);
  }
  // (C) merge the others into it. Roots end up in any order: sortAll() orders them afterwards.
  const created: Container[] = [];
  for (const c of roots) {
    // Already put under another container by this step.
    if (c.parent) continue;
    const subject = representative(c)?.baseSubject ?? "";
    const other = subject === "" ? undefined : table.get(subject);
    if (!other || other === c) continue;
    if (!other.message && !c.message) {
      for (const child of c.children) child.parent = other;
      other.children.push(...c.children);
      c.children = [];
      c.parent = other; // dropped: it has no children left
    } else if (!other.message) {
      link(other, c);
    } else if (!c.message) {
      // Not reached after (B) (a dummy always wins the table); kept so no case is lost.
      link(c, other);
      table.set(subject, c);
    } else if (!other.message.isReply && c.message.isReply) {
      link(other, c);
    } else {
      // Neither is the other's parent: both go under a new dummy, which takes the table's place.
      const dummy: Container = { children: [] };
      link(dummy, other);
      link(dummy, c);
      table.set(subject, dummy);
      created.push(dummy);
    }
  }
  return [...roots, ...created].filter((c) => !c.parent && (c.message || c.children.length > 0));
}

/** RFC 5256 §3 REFERENCES: the thread trees of `messages`, roots and siblings by sent date. */
export function threadReferences(messages: readonly ThreadMessage[]): ThreadNode[] {
  const roots = prune(linkAll(messages));
  sortAll(roots);
  const grouped = groupBySubject(roots);
  sortAll(grouped);
  return grouped;
}
