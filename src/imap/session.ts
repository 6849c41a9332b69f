/**
 * One IMAP connection: its state (state.ts), its timers, reading commands and handing each to the
 * dispatcher (dispatch.ts), which checks the state and runs the command's handler. The bytes under
 * it (the socket, STARTTLS's swap, COMPRESS's deflate layer, the gathered writes) are transport.ts;
 * whether a password may be sent depends on TLS and the client's network (RFC 2595 §3.2,
 * LOGINDISABLED).
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { LoginDeadline } from "../net/login-deadline.ts";
import { LOOPBACK_ONLY, plaintextAuthAllowed } from "../security/plaintext-auth.ts";
import type { Account, Change } from "../store/mod.ts";
import { capabilities } from "./capabilities.ts";
import { imapChaosCommand, imapChaosConnect } from "./chaos.ts";
import type { ImapContext } from "./context.ts";
import { type DispatchSession, dispatch } from "./dispatch.ts";
import { literalPolicy, readErrorAnswer } from "./literal-policy.ts";
import { DEFAULT_MESSAGE_LIMIT, messageLimitCapability } from "./message-limit.ts";
import { imapCommandDone } from "./metrics.ts";
import { NotifySlot } from "./notifier.ts";
import type { Piece } from "./protocol/encode.ts";
import { IMAP_LIMITS } from "./protocol/limits.ts";
import type { NotifySpec } from "./protocol/notify-args.ts";
import { CommandReader, type RawCommand, ReadError } from "./protocol/reader.ts";
import type { SelectedMailbox } from "./selected.ts";
import type { SessionState } from "./state.ts";
import { Transport } from "./transport.ts";

export type { SessionState, StateKind } from "./state.ts";

export class ImapSession implements DispatchSession {
  state: SessionState = { kind: "not-authenticated" };
  /** Extensions turned on with ENABLE (RFC 5161), or implicitly by use (CONDSTORE, RFC 7162 §3.1). */
  readonly enabled = new Set<string>();
  readonly id = randomBytes(6).toString("base64url");
  readonly remoteAddress: string;
  readonly reader: CommandReader;
  readonly ctx: ImapContext;
  /** The socket, TLS, COMPRESS and the gathered writes (transport.ts). */
  readonly #transport: Transport;
  #unsubscribe: (() => void) | undefined;
  #badInARow = 0;
  #closed = false;
  /** After NOTIFY SET (RFC 5465); gone after NOTIFY NONE, UNAUTHENTICATE or LOGOUT. */
  readonly #notifier = new NotifySlot();
  /** A command is running (dispatch), and whether it is an IDLE waiting for DONE. */
  #inCommand = false;
  #idleWaiting = false;
  /** Started with the greeting (run()): net/login-deadline.ts. */
  #loginDeadline: LoginDeadline | undefined;

  constructor(ctx: ImapContext, socket: Socket, options: { secure?: boolean } = {}) {
    this.ctx = ctx;
    this.remoteAddress = socket.remoteAddress ?? "unknown";
    // Every literal is judged before the "+" (or, for LITERAL+, before a byte of it is read).
    this.reader = new CommandReader(socket, {
      ...literalPolicy(this),
      sendContinuation: () => this.write(["+ Ready for literal data"]),
    });
    // After the reader, as before the split: the reader hears the socket's events first.
    this.#transport = new Transport(socket, options.secure ?? false, {
      onClose: () => this.#cleanup(),
      onTimeout: () => {
        this.untagged(["BYE Autologout; idle for too long"]);
        this.close();
      },
    });
  }

  /** The plain socket, then the TLS socket after STARTTLS. */
  get socket(): Socket {
    return this.#transport.socket;
  }

  /** Whether the connection is encrypted (implicit TLS, or after STARTTLS). */
  get secure(): boolean {
    return this.#transport.secure;
  }

  get capabilities(): string[] {
    return capabilities({
      state: this.state.kind,
      canStartTls: this.canStartTls,
      plaintextAuthAllowed: this.plaintextAuthAllowed,
      settings: {
        appendLimit: this.ctx.maxMessageSize,
        literal: this.ctx.literal ?? "plus",
        unauthenticate: this.ctx.unauthenticate ?? true,
        messageLimit: messageLimitCapability(this.ctx.messageLimit ?? DEFAULT_MESSAGE_LIMIT),
      },
    });
  }

  /** STARTTLS is offered until the connection is encrypted, when there is a certificate. */
  get canStartTls(): boolean {
    // RFC 4978 §3: TLS goes under compression, never over it (after UNAUTHENTICATE, say).
    return !this.secure && this.ctx.tls !== undefined && !this.#transport.deflating;
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
    this.#transport.requestTls();
  }

  /** COMPRESS: the deflate layer starts right after the tagged OK is written (RFC 4978 §3). */
  requestCompression(): void {
    this.#transport.requestCompression();
  }

  get compressed(): boolean {
    return this.#transport.compressed;
  }

  get condstore(): boolean {
    return this.enabled.has("CONDSTORE") || this.enabled.has("QRESYNC");
  }

  get qresync(): boolean {
    return this.enabled.has("QRESYNC");
  }

  get rev2(): boolean {
    return this.enabled.has("IMAP4REV2");
  }

  get utf8(): boolean {
    return this.rev2 || this.enabled.has("UTF8=ACCEPT");
  }

  get uidOnly(): boolean {
    return this.enabled.has("UIDONLY");
  }

  get log() {
    return this.ctx.log;
  }

  /** Writes one response line (CRLF added). Returns false when the socket's buffer is full: await drain(). */
  write(pieces: Piece[]): boolean {
    if (this.#closed || this.socket.destroyed) return true;
    return this.#transport.line(pieces);
  }

  untagged(pieces: Piece[]): boolean {
    return this.write(["* ", ...pieces]);
  }

  /** The client's next line (inside AUTHENTICATE and IDLE). */
  readLine(): Promise<string> {
    // What the client is to answer (a continuation request, IDLE's "+ idling") goes out first.
    this.#transport.flush();
    return this.reader.readLine();
  }

  /** Waits until the socket can take more (backpressure for big FETCH responses). */
  drain(): Promise<void> {
    return this.#transport.drain();
  }

  /** Enters the authenticated state and starts listening for this account's changes. */
  login(account: Account): void {
    this.#loginDeadline?.cancel();
    this.state = { kind: "authenticated", account };
    this.#unsubscribe = this.ctx.store.changes.subscribe(account.id, (change: Change) => {
      if (this.state.kind === "selected") this.state.mailbox.apply(change);
      this.#notifier.take(change);
    });
    this.#armTimeout();
  }

  /** Enters the selected state (SELECT, EXAMINE); the account's changes reach `mailbox` from now on. */
  select(account: Account, mailbox: SelectedMailbox): void {
    this.#leaveMailbox();
    this.state = { kind: "selected", account, mailbox };
  }

  /** Leaves the selected state (CLOSE, UNSELECT, a failed SELECT). */
  deselect(): void {
    this.#leaveMailbox();
    if (this.state.kind === "selected") this.state = { kind: "authenticated", account: this.state.account };
  }

  /** UNAUTHENTICATE (RFC 8437 §2): the account's changes are no longer heard; ENABLEd extensions go. */
  unauthenticate(): void {
    this.#notifier.clear();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.enabled.clear();
    this.state = { kind: "not-authenticated" };
    this.#armTimeout();
    this.#startLoginDeadline();
  }

  /** LOGOUT (RFC 3501 §3.4): the read loop ends after the tagged OK. */
  logout(): void {
    this.#notifier.clear();
    this.#leaveMailbox();
    this.state = { kind: "logout" };
  }

  /** Gives up what the selected mailbox holds for this session (its hold on \Recent, store/recent.ts). */
  #leaveMailbox(): void {
    if (this.state.kind === "selected") this.state.mailbox.close();
  }

  /** NOTIFY SET / NONE (RFC 5465 §3): the new notifier replaces the old one whole. */
  async notify(spec: NotifySpec | undefined): Promise<void> {
    this.#notifier.clear();
    if (!spec || this.state.kind === "not-authenticated" || this.state.kind === "logout") return;
    const host = { ctx: this.ctx, session: this, state: () => this.state, busy: () => this.#busy() };
    await this.#notifier.set(host, spec, this.state.account.id);
  }

  idling(waiting: boolean): void {
    this.#idleWaiting = waiting;
    if (waiting) this.#notifier.schedule();
  }

  /** Nothing unasked may be sent now: a command is being read or run, and it is not IDLE waiting. */
  #busy(): boolean {
    return (this.#inCommand && !this.#idleWaiting) || this.reader.midCommand || this.#closed;
  }

  /**
   * Reports pending changes of the selected mailbox (RFC 3501 §7: at the end of a command, NOOP,
   * IDLE). With search contexts (RFC 5267 §4.3) the touched messages are judged first; the report
   * itself is one synchronous step, so nothing arriving meanwhile splits it.
   */
  async flushUpdates(allowExpunge: boolean): Promise<void> {
    if (this.state.kind !== "selected") return;
    const { mailbox } = this.state;
    if (mailbox.contexts.size > 0) {
      try {
        await mailbox.contexts.ready(this.ctx.store.read, mailbox.info.id);
      } catch (error) {
        // The mailbox's own changes must still be reported; the contexts catch up on the next touch.
        this.log.error("imap.search_contexts_failed", { session: this.id, error });
      }
    }
    if (this.state.kind !== "selected" || this.state.mailbox !== mailbox) return;
    const lines = mailbox.flush({
      allowExpunge,
      condstore: this.condstore,
      qresync: this.qresync,
      uidOnly: this.uidOnly,
    });
    for (const line of lines) this.untagged(line);
  }

  /** Sets the inactivity timer: short before login, RFC 3501 §5.4's 30 minutes after. */
  #armTimeout(): void {
    const t = this.ctx.timeouts;
    this.#transport.setTimeout(
      this.state.kind === "not-authenticated"
        ? (t?.preAuthMs ?? IMAP_LIMITS.preAuthTimeoutMs)
        : (t?.idleMs ?? IMAP_LIMITS.idleTimeoutMs),
    );
  }

  /** The command being executed (its name), undefined while reading the next one. */
  #executing: string | undefined;
  #shuttingDown = false;

  /**
   * The server is stopping: a session waiting for its next command gets BYE (RFC 3501 §7.1.5) and is
   * closed at once; one in the middle of a command finishes it (its tagged response included) first.
   * IDLE is the exception: it lasts until the client says DONE, so it gets BYE at once too.
   */
  shutdown(): void {
    if (this.#closed || this.#shuttingDown) return;
    this.#shuttingDown = true;
    if (this.#executing !== undefined && this.#executing !== "IDLE") return;
    this.untagged(["BYE Server shutting down"]);
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.end();
  }

  /**
   * For a client whose stream can no longer be read as commands (a line or literal too large):
   * nothing more is read from it (what it is still sending is not worth buffering, or even
   * receiving), and the socket goes as soon as our last words are flushed.
   */
  #hangUp(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Before login nothing is spent on the client, not even reading its bytes to keep the BYE safe.
    this.#transport.hangUp(this.reader, { linger: this.state.kind !== "not-authenticated" });
  }

  #cleanup(): void {
    this.#closed = true;
    this.#transport.closed();
    this.#notifier.clear();
    this.#loginDeadline?.cancel();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#leaveMailbox();
    this.state = { kind: "logout" };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** From the greeting (or an UNAUTHENTICATE) to the next login: net/login-deadline.ts. */
  #startLoginDeadline(): void {
    this.#loginDeadline?.cancel();
    this.#loginDeadline = new LoginDeadline(
      this.ctx.timeouts?.loginDeadlineMs ?? IMAP_LIMITS.loginDeadlineMs,
      () => {
        if (this.state.kind !== "not-authenticated" || this.#closed) return;
        this.log.info("imap.login_deadline", { session: this.id, client: this.remoteAddress });
        this.untagged(["BYE Autologout; no login in time"]);
        this.close();
      },
    );
  }

  async run(): Promise<void> {
    // Issue 16: fault injection before the greeting (a delay, a BYE, a dropped line).
    if (await imapChaosConnect(this)) return;
    this.untagged([
      `OK [CAPABILITY ${this.capabilities.join(" ")}] ${this.ctx.hostname} Mailroom IMAP4rev1 ready`,
    ]);
    this.#armTimeout();
    this.#startLoginDeadline();
    while (!this.#closed && this.state.kind !== "logout") {
      let command: RawCommand;
      try {
        command = await this.reader.readCommand();
      } catch (error) {
        if (!(error instanceof ReadError) || error.kind === "closed") break;
        for (const line of readErrorAnswer(error, this.state.kind)) this.write([line]);
        this.#notifier.schedule();
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
      this.#executing = command.name.toUpperCase();
      try {
        await this.#execute(command);
      } finally {
        this.#executing = undefined;
        // Memory leases and spool files of the command's literals.
        command.release?.();
      }
      if (this.#shuttingDown) {
        if (!this.#closed) this.untagged(["BYE Server shutting down"]);
        break;
      }
      if (this.#badInARow >= IMAP_LIMITS.maxBadCommands) {
        this.untagged(["BYE Too many invalid commands"]);
        break;
      }
    }
    this.close();
  }

  async #execute(command: RawCommand): Promise<void> {
    if (await imapChaosCommand(this, command)) return;
    const started = performance.now();
    this.#inCommand = true;
    let outcome: Awaited<ReturnType<typeof dispatch>>;
    try {
      outcome = await dispatch(this, command);
    } finally {
      this.#inCommand = false;
      this.#idleWaiting = false;
    }
    // The command's responses, tagged one included, in one write (output.ts).
    this.#transport.flush();
    imapCommandDone(command.name, started);
    // RFC 5465 §5: between commands is when notifications go out.
    this.#notifier.schedule();
    if (outcome === "bad") this.#badInARow++;
    else this.#badInARow = 0;
    if (outcome !== "ok") return;
    // STARTTLS and COMPRESS start their layer right after their tagged OK (transport.ts).
    const fields = { session: this.id, client: this.remoteAddress };
    const upgraded = await this.#transport.afterOk(this.reader, () => ({
      tls: this.ctx.tls!,
      handshakeTimeoutMs: this.ctx.timeouts?.tlsHandshakeMs,
      log: this.log,
      fields,
    }));
    if (!upgraded) {
      this.#cleanup();
      return;
    }
    this.#armTimeout();
  }
}
