/**
 * Per-command latency without allocating per command: each protocol's known command names are
 * resolved to histogram children once; a command is then found by its name (IMAP, which has it as
 * a string) or by the first four bytes of its line packed into a number (SMTP, POP3, whose lines
 * arrive as bytes). Names not in the list count as "other", so a client cannot create label values.
 */
import type { Family, HistogramChild } from "./registry.ts";

/** Up to 4 letters of a command line, upper-cased, as one number; stops at a space or line end. */
export function commandKey(line: Uint8Array): number {
  let key = 0;
  for (let i = 0; i < 4 && i < line.length; i++) {
    let b = line[i]!;
    if (b === 0x20 || b === 0x0d || b === 0x0a) break;
    if (b >= 0x61 && b <= 0x7a) b -= 0x20;
    key = key * 256 + b;
  }
  return key;
}

function keyOfName(name: string): number {
  return commandKey(Buffer.from(name, "latin1"));
}

/** One command's name (as labelled) and its histogram. */
export interface CommandEntry {
  readonly name: string;
  readonly histogram: HistogramChild;
}

export class CommandTimer {
  readonly #byName = new Map<string, CommandEntry>();
  readonly #byKey = new Map<number, CommandEntry>();
  readonly #other: CommandEntry;

  constructor(family: Family<HistogramChild>, protocol: string, names: readonly string[]) {
    for (const name of names) {
      const entry = { name, histogram: family.labels(protocol, name) };
      this.#byName.set(name, entry);
      // Four letters tell SMTP's and POP3's commands apart (STARTTLS is STAR, STLS is STLS).
      this.#byKey.set(keyOfName(name), entry);
    }
    this.#other = { name: "other", histogram: family.labels(protocol, "other") };
  }

  /** A command named by string (IMAP: "UID FETCH"). */
  named(name: string): CommandEntry {
    return this.#byName.get(name) ?? this.#other;
  }

  /** The command of a command line (SMTP, POP3). */
  ofLine(line: Uint8Array): CommandEntry {
    return this.#byKey.get(commandKey(line)) ?? this.#other;
  }
}
