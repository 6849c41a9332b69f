/** POP3's share of /metrics: per-command latency, one timer over the registry's command names. */
import { commandTimer, metrics } from "../metrics/mod.ts";
import { COMMANDS } from "./commands/registry.ts";

const timer = commandTimer("pop3", [...COMMANDS.keys()]);

/** A command line answered; the command is read from its first bytes (no string is made). */
export function pop3CommandDone(line: Uint8Array, startedMs: number): void {
  metrics.commandLineDone(timer, line, startedMs);
}
