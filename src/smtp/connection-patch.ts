/**
 * The shape of one smtp-server patch (patches.ts installs them): its own module so that the files
 * defining patches (replies.ts, tls.ts, smtputf8.ts, session-guard.ts) and the installer that imports
 * them do not import each other.
 */
import type { SMTPServerSession } from "smtp-server";
export interface ConnectionPatch {
  /** Names the patch in the start-up error. */
  name: string;
  /** SMTPConnection.prototype methods it replaces, with their declared parameter count (`Function.length`). */
  wraps: Readonly<Record<string, number>>;
  /**
   * Fields of smtp-server's objects it reads or writes; each must still be assigned somewhere in
   * smtp-server's classes (`this._upgrading = ...`), or a rename would leave the patch reading undefined.
   */
  fields?: readonly string[];
  /** Replaces the methods on `proto` (SMTPConnection.prototype). Called once. */
  install(proto: object): void;
}

/**
 * SMTPConnection members more than one patch uses (smtp-server has no types for its internals),
 * typed once so the patches agree; each patch extends it with the few others it touches.
 */
export interface ConnectionBase {
  session: SMTPServerSession;
  _upgrading: boolean;
  _closing: boolean;
  send(code: number, data?: string | string[], context?: string | false): void;
  _onCommand(command: Buffer, callback?: () => void): void;
}
