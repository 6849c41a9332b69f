/**
 * LIST/LSUB patterns (RFC 3501 §6.3.8): "*" matches anything, "%" anything but the hierarchy
 * delimiter. A pattern is compiled once per command into a lazily built DFA, so matching a name
 * costs one table step per character, linear in the name, whatever the pattern: never the
 * exponential backtracking of a RegExp like ".*a.*a.*b", nor the name × pattern work of simulating
 * every pattern position per character (which, with 2 KB patterns over 3,000 long names, held the
 * only JavaScript thread for 39 s). Patterns themselves are bounded first (`listPatternsCheck()`).
 * Pure: works on decoded Unicode names.
 */
import { Buffer } from "node:buffer";
import { ImapNo } from "../../errors.ts";
import { IMAP_LIMITS } from "../../protocol/limits.ts";

/** The store's longest name: a pattern needing more literal characters than this can match nothing. */
const MAX_NAME_LENGTH = 1024;

/**
 * DFA states kept per pattern before the cache starts afresh (as RE2 does): bounds memory for a
 * pattern whose automaton would be large; each state costs a few words per pattern position.
 */
const MAX_DFA_STATES = 2048;

export interface ListPattern {
  /** The canonical pattern: reference and mailbox argument joined. */
  readonly text: string;
  /** RFC 3501 §6.3.8: with "%" last, matching levels of hierarchy are returned too (as \Noselect if absent). */
  readonly percentLast: boolean;
  matches(name: string): boolean;
}

/**
 * RFC 5530 §3 NO [LIMIT] for a LIST or LSUB whose patterns could cost more than any real client
 * needs (clients send "*", "%", "Folder/%"): too many patterns, or one too long or with too many
 * wildcards. Counted on the joined text, before runs of wildcards are collapsed.
 */
export function listPatternsCheck(reference: string, patterns: readonly string[]): void {
  const { maxListPatterns, maxListPatternBytes, maxListWildcards } = IMAP_LIMITS;
  if (patterns.length > maxListPatterns)
    throw new ImapNo("LIMIT", `At most ${maxListPatterns} patterns in one LIST`);
  for (const pattern of patterns) {
    const text = reference + pattern;
    if (Buffer.byteLength(text, "utf8") > maxListPatternBytes)
      throw new ImapNo("LIMIT", `LIST patterns may be at most ${maxListPatternBytes} octets`);
    let wildcards = 0;
    for (const c of text) if (c === "*" || c === "%") wildcards++;
    if (wildcards > maxListWildcards)
      throw new ImapNo("LIMIT", `LIST patterns may have at most ${maxListWildcards} wildcards`);
  }
}

/** Joins reference and pattern the way RFC 3501 §6.3.8's examples do (plain concatenation). */
export function listPattern(reference: string, pattern: string): ListPattern {
  // Runs of wildcards mean the same as one: "**" and "%*" as "*", "%%" as "%".
  const text = (reference + pattern).replace(/[*%]{2,}/g, (run) => (run.includes("*") ? "*" : "%"));
  const literals = text.replace(/[*%]/g, "").length;
  const hopeless = literals > MAX_NAME_LENGTH;
  const exact = !/[*%]/.test(text);
  const inboxPrefix = /^inbox(?=$|[/*%])/i.test(text) ? text.slice(0, 5) : undefined;
  const glob = exact || hopeless ? undefined : compileGlob(text);
  const test = (name: string) => (glob ? glob(name) : name === text);
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

/** Whether `name` matches `pattern` (compiles it for this one name; LIST compiles once per command). */
export function globMatch(pattern: string, name: string): boolean {
  return compileGlob(pattern)(name);
}

interface DState {
  /** Pattern positions reached: bit j says "pattern[0..j) matches what was read so far". */
  readonly bits: Uint32Array;
  readonly accepting: boolean;
  /** No position reached: nothing that follows can match. */
  readonly dead: boolean;
  /** By character class; filled in as names meet them. */
  readonly next: Array<DState | undefined>;
}

const STAR = -1;
const PERCENT = -2;
/** Class 0: any character the pattern does not name; class 1: the hierarchy delimiter. */
const OTHER = 0;
const DELIMITER = 1;

/**
 * The pattern as a DFA built on demand: each state is the set of pattern positions reachable (the
 * NFA simulation's state), its transitions computed the first time a character class meets it and
 * cached. Characters (UTF-16 code units, as names are compared) fall into classes: the delimiter,
 * each literal of the pattern, everything else; so a state has at most (distinct literals + 2)
 * transitions, and a name costs one lookup per character once its states exist.
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  const classes = new Map<number, number>([[0x2f, DELIMITER]]);
  // One entry per position: STAR, PERCENT, or the class of the literal there.
  const tokens: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const unit = pattern.charCodeAt(i);
    if (unit === 0x2a) tokens.push(STAR);
    else if (unit === 0x25) tokens.push(PERCENT);
    else {
      if (!classes.has(unit)) classes.set(unit, classes.size + 1);
      tokens.push(classes.get(unit)!);
    }
  }
  const m = tokens.length;
  const words = (m >>> 5) + 1;
  const has = (bits: Uint32Array, j: number) => (bits[j >>> 5]! & (1 << (j & 31))) !== 0;
  const set = (bits: Uint32Array, j: number) => {
    bits[j >>> 5]! |= 1 << (j & 31);
  };

  /** Adds the positions reachable without reading (a wildcard may match nothing), drops dominated ones. */
  function close(bits: Uint32Array): void {
    let lastStar = -1;
    for (let j = 0; j < m; j++) {
      if (!has(bits, j)) continue;
      if (tokens[j]! < 0) set(bits, j + 1);
      if (tokens[j] === STAR) lastStar = j;
    }
    // Every way to the end passes through each position in turn, and a "*" once reached stays
    // reached: positions before the last active "*" can add nothing. Keeps the states few.
    for (let j = 0; j < lastStar; j++) bits[j >>> 5]! &= ~(1 << (j & 31));
  }

  let cache = new Map<string, DState>();
  function state(bits: Uint32Array): DState {
    const key = String.fromCharCode(...new Uint16Array(bits.buffer));
    let s = cache.get(key);
    if (!s) {
      s = { bits, accepting: has(bits, m), dead: bits.every((w) => w === 0), next: [] };
      cache.set(key, s);
    }
    return s;
  }

  const initial = new Uint32Array(words);
  set(initial, 0);
  close(initial);
  let start = state(initial);

  function step(from: DState, cls: number): DState {
    const bits = new Uint32Array(words);
    for (let j = 0; j < m; j++) {
      if (!has(from.bits, j)) continue;
      const t = tokens[j]!;
      if (t === STAR || (t === PERCENT && cls !== DELIMITER)) set(bits, j);
      else if (t === cls) set(bits, j + 1);
    }
    close(bits);
    if (cache.size >= MAX_DFA_STATES) {
      // Start afresh: the old states become garbage once the name being matched is done with them.
      cache = new Map();
      start = state(initial);
    }
    const to = state(bits);
    from.next[cls] = to;
    return to;
  }

  return (name: string): boolean => {
    let s = start;
    for (let i = 0; i < name.length && !s.dead; i++) {
      const cls = classes.get(name.charCodeAt(i)) ?? OTHER;
      s = s.next[cls] ?? step(s, cls);
    }
    return s.accepting;
  };
}
