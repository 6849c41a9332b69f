/** MAIL FROM (RFC 5321 §4.1.1.2): the reverse-path. Empty (<>) is the null sender of bounces. */
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import { reply } from "./replies.ts";

type Callback = (err?: Error | null) => void;

// Loose on purpose: the sender is informational for inbound mail; we only refuse what could not be an address.
const SENDER = /^[^\s<>@]+@[^\s<>@]+$/u;

export function onMailFrom(
  address: SMTPServerAddress,
  _session: SMTPServerSession,
  callback: Callback,
): void {
  if (address.address !== "" && !SENDER.test(address.address)) {
    callback(reply.badSender());
    return;
  }
  callback();
}
