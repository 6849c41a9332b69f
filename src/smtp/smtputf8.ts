/**
 * RFC 6531 (SMTPUTF8) for the envelope: a non-ASCII address in MAIL FROM or RCPT TO, or a non-ASCII
 * EHLO name, is allowed only in a transaction whose MAIL FROM carried SMTPUTF8 (§3.5, §3.7.1), and
 * then only as UTF-8 (§3.3). Without it the answer is 553 5.6.7 (RFC 5248: "Non-ASCII addresses not
 * permitted for that sender/recipient"), so nothing 8-bit reaches the Received and Return-Path
 * fields of a message that is not itself SMTPUTF8.
 *
 * smtp-server decodes command lines as UTF-8 and turns A-label domains into U-labels before our
 * hooks run, so the address they get cannot tell "xn--bcher-kva" (ASCII, always fine) from "bücher"
 * sent as UTF-8. `commandBytesPatch` (installed from patches.ts) wraps its MAIL and RCPT handlers once
 * to note what the command line itself carried, before it is parsed; the hooks, called synchronously
 * from those handlers, judge with `envelopeUtf8Refusal()`.
 */
import type { SMTPServerSession } from "smtp-server";
import type { ConnectionPatch } from "./connection-patch.ts";
import { reply, type SmtpReply } from "./replies.ts";

interface CommandBytes {
  /** Any byte above 0x7f in the line. */
  eightBit: boolean;
  /** The line is well-formed UTF-8. */
  utf8: boolean;
}

/** What the MAIL or RCPT line being handled carried, by session (smtp-server handles one command at a time). */
const current = new WeakMap<SMTPServerSession, CommandBytes>();

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function inspect(line: Uint8Array): CommandBytes {
  let eightBit = false;
  for (let i = 0; i < line.length; i++)
    if (line[i]! > 0x7f) {
      eightBit = true;
      break;
    }
  if (!eightBit) return { eightBit, utf8: true };
  try {
    strictUtf8.decode(line);
    return { eightBit, utf8: true };
  } catch {
    return { eightBit, utf8: false };
  }
}

type Handler = (this: ConnectionInternals, command: Buffer, callback: () => void) => void;

interface ConnectionInternals {
  session: SMTPServerSession;
  handler_MAIL?: Handler;
  handler_RCPT?: Handler;
}

/** Records the bytes of every MAIL and RCPT line before smtp-server parses it (a patch in patches.ts). */
export const commandBytesPatch: ConnectionPatch = {
  name: "SMTPUTF8 command bytes",
  wraps: { handler_MAIL: 2, handler_RCPT: 2 },
  fields: ["session"],
  install(target) {
    const proto = target as ConnectionInternals;
    const mail = proto.handler_MAIL!;
    const rcpt = proto.handler_RCPT!;
    proto.handler_MAIL = function (command, callback) {
      current.set(this.session, inspect(command));
      return mail.call(this, command, callback);
    };
    proto.handler_RCPT = function (command, callback) {
      current.set(this.session, inspect(command));
      return rcpt.call(this, command, callback);
    };
  },
};

/** Whether `text` (as smtp-server decoded it) is ASCII; U+FFFD marks bytes that were not UTF-8. */
function textBytes(text: string): CommandBytes {
  const eightBit = /[^\u0000-\u007f]/.test(text);
  return { eightBit, utf8: !text.includes("\uFFFD") };
}

/**
 * The refusal for the MAIL or RCPT command being handled, or undefined when its bytes (and, for
 * MAIL, the EHLO name) are fine for this transaction.
 */
export function envelopeUtf8Refusal(
  session: SMTPServerSession,
  command: "mail" | "rcpt",
): SmtpReply | undefined {
  const line = current.get(session) ?? { eightBit: false, utf8: true };
  const helo =
    command === "mail" ? textBytes(session.hostNameAppearsAs || "") : { eightBit: false, utf8: true };
  if (!line.eightBit && !helo.eightBit) return undefined;
  // RFC 6531 §3.5: 8-bit envelope data without SMTPUTF8 on MAIL FROM.
  if (!session.envelope.smtpUtf8) return reply.nonAsciiNeedsSmtpUtf8();
  // RFC 6531 §3.3: with SMTPUTF8 the envelope is UTF-8, and nothing else.
  if (!line.utf8 || !helo.utf8) return reply.invalidUtf8();
  return undefined;
}
