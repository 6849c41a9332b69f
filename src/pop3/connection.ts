/**
 * One POP3 connection: reads lines, answers them one at a time in order (RFC 2449 §6.6 PIPELINING:
 * responses never interleave), and writes with backpressure on both sides. Input: past
 * `maxPendingInput` unprocessed bytes we stop reading the socket. Output: big responses go out in
 * slices and we wait for 'drain' before the next command, so a client that does not read holds at
 * most one response in our memory. STLS swaps the socket for a TLS one (RFC 2595 §4).
 */

import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { type ChaosAction, chaosDelay } from "../chaos/rules.ts";
import { drained } from "../net/drained.ts";
import { LoginDeadline } from "../net/login-deadline.ts";
import { LOOPBACK_ONLY, plaintextAuthAllowed } from "../security/plaintext-auth.ts";
import { upgradeToTls } from "../tls/mod.ts";
import { pop3ChaosCommand, pop3ChaosConnect, pop3ChaosReply } from "./chaos.ts";
import { dispatch } from "./commands/registry.ts";
import type { Pop3Shared } from "./context.ts";
import { pop3CommandDone } from "./metrics.ts";
import { LineReader } from "./protocol/parser.ts";
import { encodeReply, type Reply, reply } from "./protocol/response.ts";
import { authorization, type Session, type SessionState } from "./session.ts";

/** Replies up to this size are copied into one buffer and written at once. */
const SMALL_REPLY = 64 * 1024;

export class Connection implements Session {
  readonly shared: Pop3Shared;
  readonly id: string;
  readonly client: string;
  state: SessionState = authorization();
  authFailures = 0;
  secure: boolean;

  /** The plain socket, then the TLS socket after STLS. */
  #socket: Socket;
  #reader: LineReader;
  readonly #controller = new AbortController();
  readonly #cleanups: Array<() => void> = [];
  readonly #openedAt = Date.now();
  #pump: Promise<void> | undefined;
  #closed = false;
  #ending = false;
  #paused = false;
  #shuttingDown = false;
  #timedOut = false;
  #tlsRequested = false;
  /** The inactivity timeout in force (pre-auth or idle), so it is re-armed only when it changes. */
  #timeoutMs = 0;
  /** Started with the greeting: net/login-deadline.ts. */
  #loginDeadline: LoginDeadline | undefined;
  #resolveClosed!: () => void;
  readonly #closedPromise = new Promise<void>((resolve) => {
    this.#resolveClosed = resolve;
  });

  constructor(
    socket: Socket,
    shared: Pop3Shared,
    id: string,
    client: string,
    options: { secure?: boolean } = {},
  ) {
    this.#socket = socket;
    this.shared = shared;
    this.id = id;
    this.client = client;
    this.secure = options.secure ?? false;
    this.#reader = new LineReader(shared.limits.maxLineLength);
  }

  get canStartTls(): boolean {
    return !this.secure && this.shared.ctx.tls !== undefined;
  }

  get plaintextAuthAllowed(): boolean {
    return plaintextAuthAllowed(this.shared.ctx.plaintextAuth ?? LOOPBACK_ONLY, {
      secure: this.secure,
      remoteAddress: this.#socket.remoteAddress,
    });
  }

  requestTls(): void {
    this.#tlsRequested = true;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Output written to the socket and not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.#closed ? 0 : this.#socket.writableLength;
  }

  onClose(cleanup: () => void): void {
    if (this.#closed) cleanup();
    else this.#cleanups.push(cleanup);
  }

  start(): void {
    const socket = this.#socket;
    const { ctx, limits } = this.shared;
    ctx.log.info("pop3.connect", { session: this.id, client: this.client });
    socket.setNoDelay(true);
    this.#armTimeout();
    this.#loginDeadline = new LoginDeadline(limits.loginDeadlineMs, () => {
      if (this.state.kind === "authorization") this.#autologout("pop3.login_deadline", "no login in time");
    });
    this.#listen(socket);
    const chaos = pop3ChaosConnect(ctx.chaos, this.client);
    if (chaos) {
      void this.#chaosGreeting(chaos);
      return;
    }
    // RFC 1939 §4: the greeting; no APOP timestamp, since we offer no APOP.
    void this.#send(reply.ok(`${ctx.hostname} Mailroom POP3 server ready`));
  }

  /** Issue 16: a fault-injection rule at the connection: wait, then drop, refuse, or greet. */
  async #chaosGreeting(action: ChaosAction): Promise<void> {
    const { ctx } = this.shared;
    ctx.log.info("pop3.chaos", { session: this.id, stage: "connect", ...action });
    await chaosDelay(action.delayMs);
    if (action.disconnect) this.#socket.destroy();
    else if (action.reply !== undefined) await this.#send(reply.closing(pop3ChaosReply(action.reply)));
    else await this.#send(reply.ok(`${ctx.hostname} Mailroom POP3 server ready`));
  }

  readonly #onDataListener = (chunk: Buffer): void => this.#onData(chunk);
  readonly #onTimeoutListener = (): void => this.#onTimeout();
  readonly #onErrorListener = (error: Error): void =>
    this.shared.ctx.log.debug("pop3.socket_error", { session: this.id, error });
  readonly #onCloseListener = (): void => this.#onClose();

  #listen(socket: Socket): void {
    socket.on("data", this.#onDataListener);
    socket.on("timeout", this.#onTimeoutListener);
    socket.on("error", this.#onErrorListener);
    socket.on("close", this.#onCloseListener);
  }

  /**
   * STLS, before its +OK goes out: stop reading the plain socket and drop every byte the client sent
   * after the STLS line. Those came in the clear (an attacker could have added them) and must not run
   * as commands once TLS is up (RFC 2595 §3.1, CVE-2011-0411). The plain socket's "close" stays heard.
   * Returns how many bytes were dropped.
   */
  #stopPlainReading(): number {
    const socket = this.#socket;
    socket.pause();
    socket.off("data", this.#onDataListener);
    socket.off("timeout", this.#onTimeoutListener);
    const dropped = this.#reader.pending;
    this.#reader = new LineReader(this.shared.limits.maxLineLength);
    this.#paused = false;
    return dropped;
  }

  /** After STLS's +OK: the handshake; then a fresh AUTHORIZATION state on the TLS socket. */
  async #startTls(dropped: number): Promise<void> {
    const { ctx, limits } = this.shared;
    const secure = await upgradeToTls(this.#socket, ctx.tls!, {
      protocol: "pop3",
      command: "stls",
      dropped,
      handshakeTimeoutMs: limits.tlsHandshakeTimeoutMs,
      log: ctx.log,
      fields: { session: this.id, client: this.client },
    });
    if (!secure) {
      this.#ending = true;
      return;
    }
    this.#socket = secure;
    this.secure = true;
    // RFC 2595 §4: the client starts again (and must ask for CAPA again); a USER before STLS is forgotten.
    if (this.state.kind === "authorization") this.state = authorization();
    secure.setNoDelay(true);
    this.#timeoutMs = 0;
    this.#armTimeout();
    this.#listen(secure);
  }

  /** For server shutdown: finish the command in progress (an UPDATE commits), then say goodbye. */
  shutdown(): void {
    this.#shuttingDown = true;
    if (!this.#pump && !this.#closed) void this.#send(this.#shutdownReply());
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** Settles when the connection is closed and nothing it started is still writing to the store. */
  async finished(): Promise<void> {
    await this.#closedPromise;
    while (this.#pump) await this.#pump;
    // A client that dropped without QUIT still read what it RETRed: its \Seen flags are written now.
    if (this.state.kind === "transaction") await this.state.seen.settled();
  }

  #onData(chunk: Buffer): void {
    if (this.#ending) return;
    this.#reader.push(chunk);
    if (!this.#paused && this.#reader.pending > this.shared.limits.maxPendingInput) {
      this.#paused = true;
      this.#socket.pause();
    }
    this.#pump ??= this.#run().finally(() => {
      this.#pump = undefined;
    });
  }

  async #run(): Promise<void> {
    const { ctx } = this.shared;
    try {
      while (!this.#closed && !this.#ending) {
        if (this.#shuttingDown) {
          await this.#send(this.#shutdownReply());
          return;
        }
        const next = this.#reader.next();
        if (!next) return;
        if (next.kind === "too-long") {
          ctx.log.warn("pop3.line_too_long", { session: this.id, client: this.client });
          await this.#send(reply.closing(reply.err("line too long")));
          return;
        }
        let answer: Reply;
        const chaos = pop3ChaosCommand(ctx.chaos, this.client, next.bytes);
        if (chaos) {
          ctx.log.info("pop3.chaos", { session: this.id, stage: "command", ...chaos });
          await chaosDelay(chaos.delayMs);
          if (chaos.disconnect) {
            this.#socket.destroy();
            return;
          }
          if (chaos.reply !== undefined) {
            await this.#send(pop3ChaosReply(chaos.reply));
            this.#armTimeout();
            continue;
          }
        }
        const started = performance.now();
        try {
          answer = await dispatch(this, next.bytes);
        } catch (error) {
          ctx.log.error("pop3.command_failed", { session: this.id, client: this.client, error });
          answer = reply.err("internal error, try again later", "SYS/TEMP");
        }
        pop3CommandDone(next.bytes, started);
        if (this.#closed) return;
        if (this.#tlsRequested) {
          this.#tlsRequested = false;
          const dropped = this.#stopPlainReading();
          await this.#send(answer);
          if (this.#closed) return;
          await this.#startTls(dropped);
          continue;
        }
        await this.#send(answer);
        this.#armTimeout();
        this.#resumeIfDrained();
      }
    } catch (error) {
      ctx.log.error("pop3.connection_failed", { session: this.id, error });
      this.#socket.destroy();
    } finally {
      this.#resumeIfDrained();
    }
  }

  #resumeIfDrained(): void {
    if (this.#paused && this.#reader.pending <= this.shared.limits.maxPendingInput) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  /**
   * Writes a reply; resolves once the socket can take more (or is gone). A small reply goes out as one
   * write (one syscall: the socket does not merge corked chunks); a big one in slices, waiting for
   * 'drain' between them.
   */
  async #send(answer: Reply): Promise<void> {
    if (this.#closed || this.#ending) return;
    const socket = this.#socket;
    const slice = this.shared.limits.writeSlice;
    const chunks = encodeReply(answer);
    let length = 0;
    for (const chunk of chunks) length += chunk.byteLength;
    let full = false;
    if (length <= SMALL_REPLY) {
      full = !socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    } else {
      for (const chunk of chunks) {
        for (let offset = 0; offset < chunk.byteLength; offset += slice) {
          const part = chunk.byteLength <= slice ? chunk : chunk.subarray(offset, offset + slice);
          full = !socket.write(part) || full;
          if (full && offset + slice < chunk.byteLength) {
            // Hand over the rest only when the client has taken what is queued.
            await this.#drained();
            if (this.#closed) return;
            full = false;
          }
        }
      }
    }
    if ((answer.kind === "ok" || answer.kind === "err") && answer.close) {
      this.#ending = true;
      socket.end();
      return;
    }
    if (full) await this.#drained();
  }

  #drained(): Promise<void> {
    return this.#closed ? Promise.resolve() : drained(this.#socket);
  }

  #shutdownReply(): Reply {
    return reply.closing(reply.err("server shutting down, try again later", "SYS/TEMP"));
  }

  /**
   * The inactivity timeout for the state we are in: short before login, RFC 1939 §3's (at least
   * 10 minutes) after. Once logged in the login deadline no longer applies.
   */
  #armTimeout(): void {
    const { limits } = this.shared;
    const loggedIn = this.state.kind !== "authorization";
    if (loggedIn) this.#loginDeadline?.cancel();
    const ms = loggedIn ? limits.idleTimeoutMs : limits.preAuthTimeoutMs;
    if (ms === this.#timeoutMs) return;
    this.#timeoutMs = ms;
    this.#socket.setTimeout(ms);
  }

  #onTimeout(): void {
    this.#autologout("pop3.idle_timeout", "idle for too long");
  }

  /** RFC 1939 §3 autologout: closed without entering UPDATE, so nothing marked by DELE is removed. */
  #autologout(event: string, why: string): void {
    if (this.#closed) return;
    if (this.#timedOut) {
      this.#socket.destroy(); // the client did not even take our goodbye
      return;
    }
    this.#timedOut = true;
    this.shared.ctx.log.info(event, { session: this.id, client: this.client, state: this.state.kind });
    if (this.#pump) {
      this.#socket.destroy();
      return;
    }
    void this.#send(reply.closing(reply.err(`autologout: ${why}`)));
  }

  #onClose(): void {
    // Heard from both sockets after STLS (plain, then TLS): the first one counts.
    if (this.#closed) return;
    this.#closed = true;
    this.#loginDeadline?.cancel();
    this.#controller.abort();
    // Don't let the batching delay hold back the flags of what this client retrieved.
    if (this.state.kind === "transaction") void this.state.seen.settled();
    for (const cleanup of this.#cleanups.splice(0)) {
      try {
        cleanup();
      } catch (error) {
        this.shared.ctx.log.error("pop3.cleanup_failed", { session: this.id, error });
      }
    }
    this.shared.ctx.log.info("pop3.close", {
      session: this.id,
      client: this.client,
      state: this.state.kind,
      durationMs: Date.now() - this.#openedAt,
    });
    this.#resolveClosed();
  }
}
