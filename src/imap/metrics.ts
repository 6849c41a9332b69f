/** IMAP's share of /metrics: per-command latency, one timer over the registry's command names. */
import { commandTimer, metrics } from "../metrics/mod.ts";
import { COMMANDS } from "./commands/registry.ts";

const timer = commandTimer("imap", Object.keys(COMMANDS));

/**
 * A command answered (its tagged reply written). IDLE is left out: it lasts as long as the client
 * waits (RFC 2177), which says nothing about the server's speed.
 */
export function imapCommandDone(name: string, startedMs: number): void {
  if (name !== "IDLE") metrics.commandDone(timer, name, startedMs);
}
