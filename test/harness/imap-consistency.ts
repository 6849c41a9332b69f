/**
 * A multi-client consistency check for IMAP: several sessions on the same mailboxes issue random
 * STORE / COPY / MOVE / EXPUNGE / APPEND / FETCH / SEARCH / NOOP commands at once (seeded, so a failure
 * reproduces), and every reply is checked against a model of what that client has been told:
 * sequence numbers stay in range and follow EXPUNGE and EXISTS (RFC 3501 §7.4.1, §7.3.1), no EXPUNGE
 * during a non-UID FETCH, STORE or SEARCH, UIDs ascend with sequence numbers, a keyword shows in
 * FETCH only after FLAGS announced it (§7.2.6), MODSEQ never goes back (RFC 7162), \Recent is stable
 * in a session. At the end every session, brought up to date, must agree with a fresh session's view
 * of the mailbox, and each message must be \Recent in exactly one session (RFC 3501 §2.3.2).
 * Used by test/imap/consistency.test.ts (bounded) and bench/imap-consistency.ts (a soak).
 */
import { ImapClient } from "./imap-client.ts";

/** Deterministic PRNG (mulberry32): the same seed gives the same commands. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Message {
  /** 0 while the client has not been told it. */
  uid: number;
  /** System flags and keywords, \Recent apart; undefined until a FETCH FLAGS said. */
  flags: Set<string> | undefined;
  recent: boolean | undefined;
  modseq: number;
}

const SYSTEM = new Set(["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]);

/** What one client knows of its selected mailbox, built only from what the server said. */
export class ClientModel {
  readonly name: string;
  messages: Message[] = [];
  readonly announced = new Set<string>();
  highestModseq = 0;
  readonly violations: string[] = [];

  constructor(name: string) {
    this.name = name;
  }

  #fail(command: string, line: string, why: string): void {
    if (this.violations.length < 50) this.violations.push(`${this.name}: ${why} | ${command} | ${line}`);
  }

  /** Applies one command's untagged responses in order. `noExpunge`: a non-UID FETCH, STORE or SEARCH. */
  apply(command: string, lines: readonly string[], noExpunge: boolean): void {
    for (const line of lines) this.#line(command, line, noExpunge);
  }

  /** One handler per response this model follows; the first whose pattern matches takes the line. */
  readonly #handlers: Array<
    [RegExp, (m: RegExpExecArray, command: string, line: string, noExpunge: boolean) => void]
  > = [
    [
      /^(\d+) EXISTS$/,
      (m, command, line) => {
        const n = Number(m[1]);
        if (n < this.messages.length)
          this.#fail(command, line, `EXISTS below the ${this.messages.length} known`);
        while (this.messages.length < n)
          this.messages.push({ uid: 0, flags: undefined, recent: undefined, modseq: 0 });
      },
    ],
    [
      /^(\d+) RECENT$/,
      (m, command, line) => {
        if (Number(m[1]) > this.messages.length) this.#fail(command, line, "RECENT above EXISTS");
      },
    ],
    [
      /^(\d+) EXPUNGE$/,
      (m, command, line, noExpunge) => {
        const n = Number(m[1]);
        if (noExpunge) this.#fail(command, line, "EXPUNGE during a non-UID FETCH, STORE or SEARCH");
        if (n < 1 || n > this.messages.length)
          this.#fail(command, line, `EXPUNGE outside 1..${this.messages.length}`);
        else this.messages.splice(n - 1, 1);
      },
    ],
    [
      /^FLAGS \(([^)]*)\)$/,
      (m) => {
        for (const f of m[1]!.split(" ")) if (f) this.announced.add(f);
      },
    ],
    [
      /^OK \[PERMANENTFLAGS \(([^)]*)\)\]/,
      (m, command, line) => {
        // "\\*" permits every keyword (RFC 3501 §7.1); otherwise each one announced must be listed.
        const permanent = new Set(m[1]!.split(" "));
        if (permanent.size > 1 && !permanent.has("\\*"))
          for (const k of this.announced)
            if (!SYSTEM.has(k) && !permanent.has(k)) this.#fail(command, line, `PERMANENTFLAGS lacks ${k}`);
      },
    ],
    [
      /^OK \[HIGHESTMODSEQ (\d+)\]/,
      (m, command, line) => {
        const n = Number(m[1]);
        if (n < this.highestModseq)
          this.#fail(command, line, `HIGHESTMODSEQ went back from ${this.highestModseq}`);
        this.highestModseq = n;
      },
    ],
    [/^(\d+) FETCH \((.*)\)$/, (m, command, line) => this.#fetch(command, line, Number(m[1]), m[2]!)],
    [
      /^SEARCH((?: \d+)*)/,
      (m, command, line) => {
        if (command.startsWith("UID ")) return;
        for (const n of m[1]!.trim().split(" ").filter(Boolean).map(Number))
          if (n > this.messages.length) this.#fail(command, line, "SEARCH number above EXISTS");
      },
    ],
    [/^(BYE|BAD)/, (_m, command, line) => this.#fail(command, line, "unexpected")],
  ];

  #line(command: string, line: string, noExpunge: boolean): void {
    for (const [pattern, handle] of this.#handlers) {
      const m = pattern.exec(line);
      if (m) {
        handle(m, command, line, noExpunge);
        return;
      }
    }
  }

  #fetch(command: string, line: string, seq: number, items: string): void {
    if (seq < 1 || seq > this.messages.length) {
      this.#fail(command, line, `FETCH outside 1..${this.messages.length}`);
      return;
    }
    const msg = this.messages[seq - 1]!;
    const uid = /\bUID (\d+)/.exec(items);
    if (uid) {
      const n = Number(uid[1]);
      if (msg.uid !== 0 && msg.uid !== n) this.#fail(command, line, `UID ${n} where ${msg.uid} was`);
      msg.uid = n;
      const before = this.messages.slice(0, seq - 1).findLast((x) => x.uid !== 0);
      const after = this.messages.slice(seq).find((x) => x.uid !== 0);
      if ((before && before.uid >= n) || (after && after.uid <= n))
        this.#fail(command, line, "UIDs do not ascend with sequence numbers");
    }
    const flags = /\bFLAGS \(([^)]*)\)/.exec(items);
    if (flags) {
      const names = flags[1]!.split(" ").filter(Boolean);
      for (const k of names)
        if (!k.startsWith("\\") && !this.announced.has(k))
          this.#fail(command, line, `keyword ${k} shown before FLAGS announced it`);
      const recent = names.includes("\\Recent");
      if (msg.recent !== undefined && msg.recent !== recent) this.#fail(command, line, "\\Recent changed");
      msg.recent = recent;
      msg.flags = new Set(names.filter((f) => f !== "\\Recent"));
    }
    const modseq = /\bMODSEQ \((\d+)\)/.exec(items);
    if (modseq) {
      const n = Number(modseq[1]);
      if (n < msg.modseq) this.#fail(command, line, `MODSEQ went back from ${msg.modseq}`);
      msg.modseq = n;
    }
  }
}

export interface ConsistencyOptions {
  port: number;
  address: string;
  password?: string;
  seed: number;
  /** The mailbox each session selects; "INBOX" and "Other" by default. */
  sessions: Array<{ mailbox: string; condstore?: boolean }>;
  /** Commands per session, or how long to run. */
  commands?: number;
  durationMs?: number;
}

export interface ConsistencyReport {
  seed: number;
  commands: number;
  violations: string[];
  byKind: Record<string, number>;
}

const KEYWORDS = ["$Work", "Todo", "Later", "kw1", "kw2", "kw3"];
const FLAGS = ["\\Seen", "\\Flagged", "\\Deleted", "\\Answered", ...KEYWORDS];

interface Session {
  client: ImapClient;
  model: ClientModel;
  mailbox: string;
  condstore: boolean;
}

async function command(
  s: Session,
  text: string,
  noExpunge = false,
): Promise<{ status: string; text: string }> {
  const r = await s.client.command(text);
  s.model.apply(text, r.untagged, noExpunge);
  if (r.status === "BAD") s.model.violations.push(`${s.model.name}: BAD to ${text}: ${r.text}`);
  return r;
}

/** A random sequence set over the client's messages, or undefined when it knows none. */
function seqSet(random: () => number, n: number): string | undefined {
  if (n === 0) return undefined;
  const a = 1 + Math.floor(random() * n);
  if (random() < 0.5) return String(a);
  const b = Math.min(n, a + Math.floor(random() * 4));
  return `${a}:${b}`;
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** One random command of a session; returns its kind. */
async function step(s: Session, random: () => number, others: readonly string[]): Promise<string> {
  const n = s.model.messages.length;
  const r = random();
  const set = seqSet(random, n);
  const knownUids = s.model.messages.filter((m) => m.uid !== 0).map((m) => m.uid);
  if (r < 0.25 && set) {
    const items = s.condstore && random() < 0.5 ? "(UID FLAGS MODSEQ)" : "(UID FLAGS)";
    await command(s, `FETCH ${set} ${items}`, true);
    return "FETCH";
  }
  if (r < 0.55 && set) {
    const mode = pick(random, ["+", "-", ""]);
    const silent = random() < 0.3;
    const names = [pick(random, FLAGS), ...(random() < 0.4 ? [pick(random, FLAGS)] : [])];
    const byUid = random() < 0.3 && knownUids.length > 0;
    const target = byUid ? String(pick(random, knownUids)) : set;
    const text = `${byUid ? "UID " : ""}STORE ${target} ${mode}FLAGS${silent ? ".SILENT" : ""} (${names.join(" ")})`;
    // What the client does with its own .SILENT change: applies it at once; FETCHes after it say more.
    if (silent) {
      const targets = byUid
        ? s.model.messages.filter((m) => m.uid === Number(target))
        : s.model.messages.slice(Number(target.split(":")[0]) - 1, Number(target.split(":").at(-1)));
      for (const m of targets) {
        if (!m.flags) continue;
        if (mode === "+") for (const f of names) m.flags.add(f);
        else if (mode === "-") for (const f of names) m.flags.delete(f);
        else m.flags = new Set(names);
      }
    }
    const res = await command(s, text, !byUid);
    if (res.status !== "OK" && !res.text.startsWith("[LIMIT]"))
      s.model.violations.push(`${s.model.name}: ${text} -> ${res.status} ${res.text}`);
    return "STORE";
  }
  if (r < 0.65) {
    const keywords = random() < 0.5 ? ` (${pick(random, KEYWORDS)})` : "";
    const target = random() < 0.7 ? s.mailbox : pick(random, others);
    const res = await s.client.append(
      target,
      `Subject: appended ${Math.floor(random() * 1e6)}\r\n\r\nbody\r\n`,
      keywords.trim(),
    );
    s.model.apply(`APPEND ${target}`, res.untagged, false);
    return "APPEND";
  }
  if (r < 0.75 && set) {
    const target = random() < 0.3 ? s.mailbox : pick(random, others);
    await command(s, `COPY ${set} ${target}`);
    return "COPY";
  }
  if (r < 0.8 && set) {
    const target = pick(random, others);
    await command(
      s,
      `${random() < 0.5 ? "UID MOVE" : "MOVE"} ${random() < 0.5 ? set : pick(random, knownUids.length ? knownUids : [1])} ${target}`,
    );
    return "MOVE";
  }
  if (r < 0.85) {
    if (random() < 0.5 || knownUids.length === 0) await command(s, "EXPUNGE");
    else await command(s, `UID EXPUNGE ${pick(random, knownUids)}:*`);
    return "EXPUNGE";
  }
  if (r < 0.92) {
    const key = pick(random, ["ALL", "FLAGGED", "UNSEEN", "KEYWORD Todo", "RECENT", "NEW"]);
    const byUid = random() < 0.5;
    await command(s, `${byUid ? "UID " : ""}SEARCH ${key}`, !byUid);
    return "SEARCH";
  }
  await command(s, "NOOP");
  return "NOOP";
}

/** The truth as a fresh read-only session sees it: UIDs in order and their flags (no \Recent). */
async function truthOf(options: ConsistencyOptions, mailbox: string): Promise<Map<number, string>> {
  const client = await ImapClient.login(options.port, options.address, options.password);
  await client.command(`EXAMINE ${mailbox}`);
  const r = await client.command("UID FETCH 1:* (UID FLAGS)");
  await client.close();
  const out = new Map<number, string>();
  for (const line of r.untagged) {
    const m = /UID (\d+) FLAGS \(([^)]*)\)/.exec(line);
    if (m) out.set(Number(m[1]), sortFlags(m[2]!.split(" ").filter((f) => f && f !== "\\Recent")));
  }
  return out;
}

const sortFlags = (flags: Iterable<string>) => [...flags].sort().join(" ");

export async function runConsistency(options: ConsistencyOptions): Promise<ConsistencyReport> {
  const random = prng(options.seed);
  const sessions: Session[] = [];
  // One at a time, so the first session to SELECT a mailbox takes its existing messages' \Recent.
  for (const [i, spec] of options.sessions.entries()) {
    const client = await ImapClient.login(options.port, options.address, options.password);
    const s: Session = {
      client,
      model: new ClientModel(`s${i + 1}:${spec.mailbox}`),
      mailbox: spec.mailbox,
      condstore: spec.condstore ?? false,
    };
    await command(s, `SELECT ${spec.mailbox}${s.condstore ? " (CONDSTORE)" : ""}`);
    await command(s, "UID FETCH 1:* (UID FLAGS)");
    sessions.push(s);
  }
  const mailboxes = [...new Set(sessions.map((s) => s.mailbox))];
  const byKind: Record<string, number> = {};
  let total = 0;
  const deadline = options.durationMs === undefined ? Infinity : Date.now() + options.durationMs;
  const perSession = options.commands ?? Infinity;
  // Each session gets its own stream of random numbers, drawn from the seed in a fixed order.
  const streams = sessions.map(() => prng(Math.floor(random() * 2 ** 32)));
  await Promise.all(
    sessions.map(async (s, i) => {
      const others = mailboxes.filter((m) => m !== s.mailbox);
      for (let k = 0; k < perSession && Date.now() < deadline; k++) {
        const kind = await step(s, streams[i]!, others.length > 0 ? others : [s.mailbox]);
        byKind[kind] = (byKind[kind] ?? 0) + 1;
        total++;
      }
    }),
  );

  // Quiet now: bring every session up to date, then learn what it still does not know.
  for (const s of sessions) await command(s, "NOOP");
  for (const s of sessions) {
    const unknown = s.model.messages.flatMap((m, i) => (m.uid === 0 || !m.flags ? [i + 1] : []));
    if (unknown.length > 0) await command(s, `FETCH ${unknown.join(",")} (UID FLAGS)`, true);
  }
  const violations: string[] = [];
  for (const mailbox of mailboxes) {
    const truth = await truthOf(options, mailbox);
    const holders = sessions.filter((s) => s.mailbox === mailbox);
    for (const s of holders) {
      const uids = s.model.messages.map((m) => m.uid);
      if (uids.join(",") !== [...truth.keys()].join(","))
        violations.push(
          `${s.model.name}: knows UIDs ${uids.join(",")} but the mailbox has ${[...truth.keys()].join(",")}`,
        );
      for (const m of s.model.messages) {
        const want = truth.get(m.uid);
        if (want !== undefined && sortFlags(m.flags ?? []) !== want)
          violations.push(
            `${s.model.name}: UID ${m.uid} believed (${sortFlags(m.flags ?? [])}), is (${want})`,
          );
      }
    }
    // RFC 3501 §2.3.2: every message is \Recent in exactly one of the sessions that selected it.
    for (const s of holders) await command(s, "UID FETCH 1:* (UID FLAGS)");
    for (const uid of truth.keys()) {
      const recentIn = holders
        .filter((s) => s.model.messages.find((m) => m.uid === uid)?.recent)
        .map((s) => s.model.name);
      if (recentIn.length !== 1)
        violations.push(
          `${mailbox} UID ${uid} is \\Recent in ${recentIn.length} sessions (${recentIn.join(", ")})`,
        );
    }
  }
  for (const s of sessions) {
    violations.push(...s.model.violations);
    await s.client.close();
  }
  return { seed: options.seed, commands: total, violations, byKind };
}
