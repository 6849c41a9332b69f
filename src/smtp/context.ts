/** What the SMTP hooks share: their dependencies, and per-transaction state kept beside smtp-server's envelope. */
import type { SMTPServerEnvelope } from "smtp-server";
import type { Logger } from "../log.ts";
import type { AuthFailures } from "../security/auth-failures.ts";
import type { RecipientAccount, Store } from "../store/mod.ts";
import type { QueueRunner } from "./queue/runner.ts";

export interface SmtpContext {
  store: Store;
  log: Logger;
  hostname: string;
  /** Logins without "@" are local parts of this domain. */
  primaryDomain: string;
  maxMessageSize: number;
  maxRecipients: number;
  /** "inbound" (port 25: AUTH optional, relaying only when authenticated) or "submission" (587: AUTH required). */
  mode: "inbound" | "submission";
  authFailures: AuthFailures;
  /** Told when a message was queued for remote delivery. */
  queue: QueueRunner;
}

/** Accounts each accepted RCPT resolved to; keyed by the envelope, which smtp-server renews per transaction. */
const accepted = new WeakMap<SMTPServerEnvelope, Map<string, RecipientAccount[]>>();

export function acceptedRecipients(envelope: SMTPServerEnvelope): Map<string, RecipientAccount[]> {
  let map = accepted.get(envelope);
  if (!map) {
    map = new Map();
    accepted.set(envelope, map);
  }
  return map;
}
