/**
 * Every change Mailroom makes inside smtp-server, in one list. smtp-server's extension points are its
 * hooks (onConnect, onSecure, onAuth, onMailFrom, onRcptTo, onData, onClose) and per-session
 * `session.disabledCommands`; what they cannot express is done by wrapping methods of its private
 * SMTPConnection class (`smtp-server/lib/smtp-connection.js`, imported here and nowhere else).
 *
 * Private methods change without notice, so each patch declares what it relies on: the methods it
 * wraps, with the number of parameters they declare, and the fields it reads. `installSmtpPatches()`
 * checks every patch against the installed smtp-server before it installs any, and refuses to start
 * with one message naming the smtp-server version and each mismatch, instead of silently losing a
 * check after an upgrade. Each patch is installed once per process (they are prototype-wide; a
 * server opts in where a patch needs it, see session-guard.ts).
 */
import { SMTPServer } from "smtp-server";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";
import { SMTPStream } from "smtp-server/lib/smtp-stream.js";
import smtpServerPackage from "smtp-server/package.json" with { type: "json" };
import type { ConnectionPatch } from "./connection-patch.ts";
import { pregreetPatch } from "./defence/pregreet.ts";
import { smtpMetricsPatch } from "./metrics.ts";
import { enhancedCodePatch } from "./replies.ts";
import { sessionGuardPatch } from "./session-guard.ts";
import { commandBytesPatch } from "./smtputf8.ts";
import { plaintextAuthPatch } from "./tls.ts";

export type { ConnectionPatch };

/** The smtp-server release the patches below were written and checked against. */
export const PATCHED_SMTP_SERVER = "3.21.6";

/**
 * One line per patch on why no hook does it (checked against smtp-server 3.21.6; where a hook
 * appears, the patch goes).
 */
export const SMTP_PATCHES: readonly ConnectionPatch[] = [
  // replies.ts: a hook's error sets only `responseCode`; smtp-server derives the enhanced status code
  // from the basic code alone (550 is always 5.1.1), wrong for relay denial (5.7.1) and many more.
  enhancedCodePatch,
  // tls.ts: `allowInsecureAuth` is server-wide. `session.disabledCommands` (3.21) is per session but a
  // disabled AUTH is answered "500 not recognized" instead of 538 5.7.11, and stops smtp-server
  // requiring AUTH before MAIL on the submission ports; so EHLO and AUTH are wrapped instead.
  plaintextAuthPatch,
  // smtputf8.ts: hooks get MAIL/RCPT addresses decoded (bytes to UTF-8, A-labels to U-labels); only
  // the command line itself shows whether the client sent 8-bit bytes (RFC 6531 §3.5).
  commandBytesPatch,
  // session-guard.ts: `socketTimeout` counts idle time only, and no hook sees a connection before its
  // greeting, each command line, or DATA before the 354 (session deadline, junk commands, data rate,
  // stress mode, the buffer budget).
  sessionGuardPatch,
  // defence/pregreet.ts: no hook sees a command that arrives before the greeting (postscreen's
  // pregreet test: 554 and disconnect instead of smtp-server's 421 "You talk too soon").
  pregreetPatch,
  // metrics.ts: no hook sees each command line and its reply (per-command latency, refusals by code).
  smtpMetricsPatch,
];

/** What the patches are checked against and installed on; tests pass a doctored one. */
export interface PatchTarget {
  /** SMTPConnection.prototype. */
  prototype: object;
  /** The source text of smtp-server's classes, where the fields a patch reads must appear. */
  source: string;
  version: string;
}

/** smtp-server as installed. */
export function installedSmtpServer(): PatchTarget {
  return {
    prototype: SMTPConnection.prototype,
    source: [SMTPConnection, SMTPServer, SMTPStream]
      .map((c) => Function.prototype.toString.call(c))
      .join("\n"),
    version: smtpServerPackage.version,
  };
}

export class SmtpServerChanged extends Error {
  override name = "SmtpServerChanged";
}

/** Every way `target` differs from what the patches expect; empty when they all fit. */
export function patchMismatches(patches: readonly ConnectionPatch[], target: PatchTarget): string[] {
  const problems: string[] = [];
  const methods = target.prototype as Record<string, unknown>;
  for (const patch of patches) {
    for (const [method, params] of Object.entries(patch.wraps)) {
      const fn = methods[method];
      if (typeof fn !== "function") problems.push(`${patch.name}: SMTPConnection.${method}() is missing`);
      else if (fn.length !== params)
        problems.push(
          `${patch.name}: SMTPConnection.${method}() takes ${fn.length} parameters, expected ${params}`,
        );
    }
    for (const field of patch.fields ?? []) {
      if (!new RegExp(`\\bthis\\.${field}\\s*=[^=]`).test(target.source))
        problems.push(`${patch.name}: no field ${field} in smtp-server's classes`);
    }
  }
  return problems;
}

/** Patches installed so far, per prototype. */
const installed = new WeakMap<object, Set<string>>();

/**
 * Checks every patch against `target`, then installs those not installed yet. Throws
 * SmtpServerChanged (installing nothing) when smtp-server no longer has what a patch relies on.
 */
export function installSmtpPatches(
  patches: readonly ConnectionPatch[] = SMTP_PATCHES,
  target: PatchTarget = installedSmtpServer(),
): void {
  const done = installed.get(target.prototype) ?? new Set<string>();
  installed.set(target.prototype, done);
  const pending = patches.filter((patch) => !done.has(patch.name));
  if (pending.length === 0) return;
  const problems = patchMismatches(pending, target);
  if (problems.length > 0)
    throw new SmtpServerChanged(
      `smtp-server ${target.version} is not what Mailroom's patches were written for (${PATCHED_SMTP_SERVER}): ${problems.join("; ")}; see src/smtp/patches.ts`,
    );
  for (const patch of pending) {
    patch.install(target.prototype);
    done.add(patch.name);
  }
}
