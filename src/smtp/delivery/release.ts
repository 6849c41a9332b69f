/**
 * Releasing a caught message (issue 16, POST /api/v1/messages/{id}/release): one SMTP transaction
 * with the server the caller names, through the queue's delivery client (client.ts: STARTTLS when
 * offered, 8BITMIME or a 7-bit conversion, our Return-Path taken off), then QUIT. Nothing is
 * queued or retried: the caller gets each recipient's answer at once. A route with credentials logs
 * in, over TLS only (RFC 4954 §4), as a smarthost route of MAILROOM_ROUTES does.
 */
import type { Route } from "../../config.ts";
import { type RecipientOutcome, smtpConnect } from "./client.ts";

export type ReleaseOutcome =
  | { kind: "done"; recipients: RecipientOutcome[] }
  | { kind: "unreachable"; code: number | null; reply: string };

export async function releaseMessage(input: {
  raw: Uint8Array;
  sender: string;
  recipients: string[];
  route: Route;
  /** Our name for EHLO. */
  helo: string;
}): Promise<ReleaseOutcome> {
  const { route } = input;
  const tls = route.tls === "implicit" ? "implicit" : route.tls === "starttls" ? "required" : "opportunistic";
  const connected = await smtpConnect({
    host: route.host,
    port: route.port,
    helo: input.helo,
    tls,
    ...(route.auth ? { auth: { user: route.auth.user, pass: route.auth.pass } } : {}),
  });
  if (connected.kind === "unreachable")
    return { kind: "unreachable", code: connected.code, reply: connected.reply };
  try {
    const recipients = await connected.session.send({
      sender: input.sender,
      recipients: input.recipients.map((address) => ({ address })),
      raw: input.raw,
    });
    return { kind: "done", recipients };
  } finally {
    connected.session.quit();
  }
}
