/**
 * The shape of one smtp-server patch (patches.ts installs them): its own module so that the files
 * defining patches (replies.ts, tls.ts, smtputf8.ts, session-guard.ts) and the installer that imports
 * them do not import each other.
 */
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
