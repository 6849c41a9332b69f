/**
 * LIST/LSUB patterns (RFC 3501 §6.3.8): "*" matches anything, "%" anything but the hierarchy
 * delimiter. Matching runs as a simulation over pattern positions, O(name × pattern) in the worst
 * case, never the exponential backtracking a RegExp like ".*a.*a.*b" can fall into. Pure: works on
 * decoded Unicode names.
 */

/** The store's longest name: a pattern needing more literal characters than this can match nothing. */
const MAX_NAME_LENGTH = 1024;

export interface ListPattern {
  /** The canonical pattern: reference and mailbox argument joined. */
  readonly text: string;
  /** RFC 3501 §6.3.8: with "%" last, matching levels of hierarchy are returned too (as \Noselect if absent). */
  readonly percentLast: boolean;
  matches(name: string): boolean;
}

/** Joins reference and pattern the way RFC 3501 §6.3.8's examples do (plain concatenation). */
export function listPattern(reference: string, pattern: string): ListPattern {
  // Runs of wildcards mean the same as one: "**" and "%*" as "*", "%%" as "%".
  const text = (reference + pattern).replace(/[*%]{2,}/g, (run) => (run.includes("*") ? "*" : "%"));
  const literals = text.replace(/[*%]/g, "").length;
  const hopeless = literals > MAX_NAME_LENGTH;
  const exact = !/[*%]/.test(text);
  const inboxPrefix = /^inbox(?=$|[/*%])/i.test(text) ? text.slice(0, 5) : undefined;
  const test = (name: string) => (exact ? name === text : globMatch(text, name));
  return {
    text,
    percentLast: text.endsWith("%"),
    matches(name: string): boolean {
      if (hopeless) return false;
      if (test(name)) return true;
      // RFC 3501 §5.1: INBOX is case-insensitive, so "inbox/%" names INBOX's children: compare
      // INBOX spelled the way the pattern spells it.
      if (inboxPrefix !== undefined && /^INBOX(?=$|\/)/.test(name)) return test(inboxPrefix + name.slice(5));
      return false;
    },
  };
}

/**
 * Whether `name` matches `pattern`. `active[j]` says "pattern[0..j) can match what was read so far";
 * a wildcard may also match nothing, so reaching one activates the position after it as well.
 */
export function globMatch(pattern: string, name: string): boolean {
  const m = pattern.length;
  // Cheap rejections first: the literal text before the first wildcard must be a prefix of the name.
  const firstWild = pattern.search(/[*%]/);
  if (firstWild > 0 && !name.startsWith(pattern.slice(0, firstWild))) return false;
  let active = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  active[0] = 1;
  closeOverWildcards(pattern, active);
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    next.fill(0);
    let any = false;
    for (let j = 0; j < m; j++) {
      if (!active[j]) continue;
      const p = pattern[j];
      if (p === "*" || (p === "%" && c !== "/")) {
        next[j] = 1;
        any = true;
      } else if (p === c) {
        next[j + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    closeOverWildcards(pattern, next);
    [active, next] = [next, active];
  }
  return active[m] === 1;
}

function closeOverWildcards(pattern: string, active: Uint8Array): void {
  for (let j = 0; j < pattern.length; j++) {
    if (active[j] && (pattern[j] === "*" || pattern[j] === "%")) active[j + 1] = 1;
  }
}
