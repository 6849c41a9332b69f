/**
 * THREAD=ORDEREDSUBJECT (RFC 5256 §3): messages grouped by base subject; within a group sorted by
 * sent date, the first is the parent and the rest its children; groups ordered by the sent date of
 * their first message.
 */
import { byDate, type ThreadMessage, type ThreadNode } from "./tree.ts";

export function threadOrderedSubject(messages: readonly ThreadMessage[]): ThreadNode[] {
  const groups = new Map<string, ThreadMessage[]>();
  for (const m of messages) {
    const group = groups.get(m.baseSubject);
    if (group) group.push(m);
    else groups.set(m.baseSubject, [m]);
  }
  const threads = [...groups.values()].map((group) => group.sort(byDate));
  threads.sort((a, b) => byDate(a[0]!, b[0]!));
  return threads.map(([first, ...rest]) => ({
    message: first!,
    children: rest.map((message) => ({ message, children: [] })),
  }));
}
