/**
 * One IMAP connection: its state (state.ts), the socket and its timers, reading commands and handing
 * each to the dispatcher (dispatch.ts), which checks the state and runs the command's handler.
 * STARTTLS swaps the socket under the reader (RFC 3501 §6.2.1); whether a password may be sent
 * depends on TLS and the client's network (RFC 2595 §3.2, LOGINDISABLED).
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { LoginDeadline } from "../net/login-deadline.ts";
import { LOOPBACK_ONLY, plaintextAuthAllowed } from "../security/plaintext-auth.ts";
import type { Account, Change } from "../store/mod.ts";
import { upgradeToTls } from "../tls/mod.ts";
import { capabilities } from "./capabilities.ts";
import { imapChaosCommand, imapChaosConnect } from "./chaos.ts";
import type { ImapContext } from "./context.ts";
import { type DispatchSession, dispatch, TAG } from "./dispatch.ts";
import { literalPolicy } from "./literal-policy.ts";
import { type Piece, toBuffer } from "./protocol/encode.ts";
import { IMAP_LIMITS } from "./protocol/limits.ts";
import { CommandReader, type RawCommand, ReadError } from "./protocol/reader.ts";
import type { SelectedMailbox } from "./selected.ts";
import type { SessionState } from "./state.ts";

export type { SessionState, StateKind } from "./state.ts";

export class ImapSession implements DispatchSession {
  state: SessionState = { kind: "not-authenticated" };
  /** Extensions turned on with ENABLE (RFC 5161), or implicitly by use (CONDSTORE, RFC 7162 §3.1). */
  readonly enabled = new Set<string>();
  readonly id = randomBytes(6).toString("base64url");
  readonly remoteAddress: string;
  readonly reader: CommandReader;
  readonly ctx: ImapContext;
  /** The plain socket, then the TLS socket after STARTTLS. */
  socket: Socket;
  /** Whether the connection is encrypted (implicit TLS, or after STARTTLS). */
  secure: boolean;
  #unsubscribe: (() => void) | undefined;
  #badInARow = 0;
  #closed = false;
  #tlsRequested = false;
  /** Started with the greeting (run()): net/login-deadline.ts. */
  #loginDeadline: LoginDeadline | undefined;

  constructor(ctx: ImapContext, socket: Socket, options: { secure?: boolean } = {}) {
    this.ctx = ctx;
    this.socket = socket;
    this.secure = options.secure ?? false;
    this.remoteAddress = socket.remoteAddress ?? "unknown";
    // Every literal is judged before the "+" (or, for LITERAL+, before a byte of it is read).
    this.reader = new CommandReader(socket, {
      ...literalPolicy(this),
      sendContinuation: () => this.write(["+ Ready for literal data"]),
    });
    this.#listen(socket);
  }

  readonly #onClose = (): void => this.#cleanup();
  readonly #onError = (): void => {};
  // One listener for the life of the socket; #armTimeout() only moves the deadline.
  readonly #onTimeout = (): void => {
    this.untagged(["BYE Autologout; idle for too long"]);
    this.close();
  };

  #listen(socket: Socket): void {
    socket.on("close", this.#onClose);
    socket.on("error", this.#onError);
    socket.on("timeout", this.#onTimeout);
  }

  /** Before STARTTLS: the plain socket's deadline no longer applies. Its "close" stays heard. */
  #unlisten(socket: Socket): void {
    socket.off("timeout", this.#onTimeout);
  }

  get capabilities(): string[] {
    return capabilities({
      state: this.state.kind,
      canStartTls: this.canStartTls,
      plaintextAuthAllowed: this.plaintextAuthAllowed,
    });
  }

  /** STARTTLS is offered until the connection is encrypted, when there is a certificate. */
  get canStartTls(): boolean {
    return !this.secure && this.ctx.tls !== undefined;
  }

  /** Passwords only over TLS or from a trusted (loopback) network, unless the operator allows it. */
  get plaintextAuthAllowed(): boolean {
    return plaintextAuthAllowed(this.ctx.plaintextAuth ?? LOOPBACK_ONLY, {
      secure: this.secure,
      remoteAddress: this.remoteAddress,
    });
  }

  /** STARTTLS: the handshake starts right after the tagged OK is written. */
  requestTls(): void {
    this.#tlsRequested = true;
  }

  get condstore(): boolean {
    return this.enabled.has("CONDSTORE") || this.enabled.has("QRESYNC");
  }

  get qresync(): boolean {
    return this.enabled.has("QRESYNC");
  }

  get log() {
    return this.ctx.log;
  }

  /** Writes one response line (CRLF added). Returns false when the socket's buffer is full: await drain(). */
  write(pieces: Piece[]): boolean {
    if (this.#closed || this.socket.destroyed) return true;
    return this.socket.write(toBuffer([...pieces, "\r\n"]));
  }

  untagged(pieces: Piece[]): boolean {
    return this.write(["* ", ...pieces]);
  }

  /** The client's next line (inside AUTHENTICATE and IDLE). */
  readLine(): Promise<string> {
    return this.reader.readLine();
  }

  /** Waits until the socket can take more (backpressure for big FETCH responses). */
  drain(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.once("drain", done);
      this.socket.once("close", done);
    });
  }

  /** Enters the authenticated state and starts listening for this account's changes. */
  login(account: Account): void {
    this.#loginDeadline?.cancel();
    this.state = { kind: "authenticated", account };
    this.#unsubscribe = this.ctx.store.changes.subscribe(account.id, (change: Change) => {
      if (this.state.kind === "selected") this.state.mailbox.apply(change);
    });
    this.#armTimeout();
  }

  /** Enters the selected state (SELECT, EXAMINE); the account's changes reach `mailbox` from now on. */
  select(account: Account, mailbox: SelectedMailbox): void {
    this.state = { kind: "selected", account, mailbox };
  }

  /** Leaves the selected state (CLOSE, UNSELECT, a failed SELECT). */
  deselect(): void {
    if (this.state.kind === "selected") this.state = { kind: "authenticated", account: this.state.account };
  }

  /** LOGOUT (RFC 3501 §3.4): the read loop ends after the tagged OK. */
  logout(): void {
    this.state = { kind: "logout" };
  }

  /** Reports pending changes of the selected mailbox (RFC 3501 §7: at the end of a command, NOOP, IDLE). */
  flushUpdates(allowExpunge: boolean): void {
    if (this.state.kind !== "selected") return;
    const lines = this.state.mailbox.flush({
      allowExpunge,
      condstore: this.condstore,
      qresync: this.qresync,
    });
    for (const line of lines) this.untagged(line);
  }

  /** Restarts the inactivity timer: short before login, RFC 3501 §5.4's 30 minutes after. */
  #armTimeout(): void {
    const t = this.ctx.timeouts;
    const ms =
      this.state.kind === "not-authenticated"
        ? (t?.preAuthMs ?? IMAP_LIMITS.preAuthTimeoutMs)
        : (t?.idleMs ?? IMAP_LIMITS.idleTimeoutMs);
    this.socket.setTimeout(ms);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.end();
    // A client that never reads would keep the socket half-open forever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  /**
   * For a client whose stream can no longer be read as commands (a line or literal too large):
   * nothing more is read from it (what it is still sending is not worth buffering, or even
   * receiving), and the socket goes as soon as our last words are flushed.
   */
  #hangUp(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.reader.detach();
    this.socket.pause();
    this.socket.end(() => this.socket.destroy());
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  #cleanup(): void {
    this.#closed = true;
    this.#loginDeadline?.cancel();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.state = { kind: "logout" };
  }

  get closed(): boolean {
    return this.#closed;
  }

  async run(): Promise<void> {
    // Issue 16: fault injection before the greeting (a delay, a BYE, a dropped line).
    if (await imapChaosConnect(this)) return;
    this.untagged([
      `OK [CAPABILITY ${this.capabilities.join(" ")}] ${this.ctx.hostname} Mailroom IMAP4rev1 ready`,
    ]);
    this.#armTimeout();
    this.#loginDeadline = new LoginDeadline(
      this.ctx.timeouts?.loginDeadlineMs ?? IMAP_LIMITS.loginDeadlineMs,
      () => {
        if (this.state.kind !== "not-authenticated" || this.#closed) return;
        this.log.info("imap.login_deadline", { session: this.id, client: this.remoteAddress });
        this.untagged(["BYE Autologout; no login in time"]);
        this.close();
      },
    );
    while (!this.#closed && this.state.kind !== "logout") {
      let command: RawCommand;
      try {
        command = await this.reader.readCommand();
      } catch (error) {
        if (!(error instanceof ReadError) || error.kind === "closed") break;
        this.#answerReadError(error);
        if (!error.recoverable) {
          this.#hangUp();
          break;
        }
        if (error.answer?.startsWith("BAD")) this.#badInARow++;
        if (this.#badInARow >= IMAP_LIMITS.maxBadCommands) {
          this.untagged(["BYE Too many invalid commands"]);
          break;
        }
        continue;
      }
      try {
        await this.#execute(command);
      } finally {
        // Memory leases and spool files of the command's literals.
        command.release?.();
      }
      if (this.#badInARow >= IMAP_LIMITS.maxBadCommands) {
        this.untagged(["BYE Too many invalid commands"]);
        break;
      }
    }
    this.close();
  }

  /**
   * RFC 3501 §6.2.1: after "OK Begin TLS negotiation now" the next bytes are the client's handshake.
   * Whatever the reader holds beyond the STARTTLS line came in the clear and is dropped unread.
   * The synchronous part (detach, wrap) runs in the same turn as the OK's write, so no byte of the
   * handshake can reach the plain-text reader.
   */
  async #startTls(): Promise<void> {
    this.#tlsRequested = false;
    const plain = this.socket;
    const dropped = this.reader.detach();
    this.#unlisten(plain);
    const secure = await upgradeToTls(plain, this.ctx.tls!, {
      protocol: "imap",
      command: "starttls",
      dropped,
      handshakeTimeoutMs: this.ctx.timeouts?.tlsHandshakeMs,
      log: this.log,
      fields: { session: this.id, client: this.remoteAddress },
    });
    if (!secure) {
      this.#cleanup();
      return;
    }
    this.socket = secure;
    this.secure = true;
    this.#listen(secure);
    this.reader.attach(secure);
  }

  #answerReadError(error: ReadError): void {
    if (error.kind === "line-too-long") {
      this.untagged(["BYE [TOOBIG] Command line too long"]);
      return;
    }
    const tag = error.tag && TAG.test(error.tag) ? error.tag : "*";
    if (error.kind === "refused") this.write([`${tag} ${error.answer}`]);
    else if (this.state.kind === "not-authenticated")
      this.write([`${tag} BAD [TOOBIG] Too much data before login`]);
    else if (error.commandName === "APPEND") this.write([`${tag} NO [TOOBIG] Message too large`]);
    else this.write([`${tag} BAD [TOOBIG] Literal too large`]);
    // A non-synchronizing literal too large to skip: the rest of the stream cannot be read as commands.
    if (!error.recoverable) this.untagged(["BYE [TOOBIG] Literal too large to skip, closing the connection"]);
  }

  async #execute(command: RawCommand): Promise<void> {
    if (await imapChaosCommand(this, command)) return;
    const outcome = await dispatch(this, command);
    if (outcome === "bad") this.#badInARow++;
    else this.#badInARow = 0;
    if (outcome !== "ok") return;
    if (this.#tlsRequested) await this.#startTls();
    this.#armTimeout();
  }
}
