/**
 * How long an SMTP client may hold a connection slot, and whether it may start another transfer.
 * smtp-server's socketTimeout counts idle time only, which any byte resets: a byte a minute in DATA,
 * or a NOOP every four minutes, kept a slot forever. Per session this adds (SMTP_SESSION_LIMITS):
 * - a deadline from connect, however active the client (421 4.4.2);
 * - a minimum data rate in DATA after a grace period, as Postfix's smtpd_min_data_rate (421 4.4.2);
 * - a limit on junk commands (NOOP, RSET, VRFY, EXPN, ETRN, HELP) between messages, as Postfix's
 *   smtpd_junk_command_limit (421 4.7.0);
 * - stress mode, as Postfix's: above a share of the listener's slots, idle clients get a short
 *   timeout and a junk limit of one, so slots free for clients that have mail;
 * - DATA refused with 452 4.3.1 (no 354, nothing read) when the shared buffer budget has no room
 *   for one more transfer (MEMORY_LIMITS.bufferBytes).
 * smtp-server has no hooks for most of these, so `sessionGuardPatch` (installed from patches.ts) wraps
 * four SMTPConnection methods once; the end of a session comes through smtp-server's onClose hook. A
 * server opts in with `guardSessions()`, others are left alone.
 */
import type { Socket } from "node:net";
import type { SMTPServer, SMTPServerSession } from "smtp-server";
import type { Logger } from "../log.ts";
import type { SmtpSessionLimits } from "../security/limits.ts";
import type { Lease, MemoryBudget } from "../security/memory-budget.ts";
import type { ConnectionBase, ConnectionPatch } from "./connection-patch.ts";
import { reply, type SmtpReply } from "./replies.ts";

/** Commands that move no message forward (Postfix counts NOOP, VRFY, ETRN and RSET; HELP and EXPN alike). */
const JUNK_COMMANDS = new Set(["NOOP", "RSET", "VRFY", "EXPN", "ETRN", "HELP"]);

/** A session at its deadline while we owe it a reply (a hook, a message being stored) is looked at again after this. */
const DEADLINE_RECHECK_MS = 1000;

export interface GuardOptions {
  limits: SmtpSessionLimits;
  /** The shared budget each DATA transfer takes `transferBytes` of while it runs. */
  buffers: MemoryBudget;
  transferBytes: number;
  log: Logger;
}

/** The parts of smtp-server's SMTPConnection the guard uses. */
interface Connection extends ConnectionBase {
  _server: SMTPServer & { connections: Set<Connection> };
  _socket: Socket;
  _parser: { dataBytes: number; _dataMode: boolean } | false;
  _dataStream: unknown;
  _handlerPending?: boolean;
  _nextHandler: unknown;
  _transactionCounter: number;
  _closed: boolean;
  init(): void;
  _resetSession(): void;
  handler_DATA(command: Buffer, callback: () => void): void;
}

interface SessionState {
  connection: Connection;
  deadline: ReturnType<typeof setTimeout>;
  junk: number;
  /** smtp-server's message count when `junk` was last reset. */
  transactions: number;
  data?: { started: number; lease: Lease; timer?: ReturnType<typeof setTimeout> };
}

class ServerGuard {
  readonly options: GuardOptions;
  #stressed = false;

  constructor(options: GuardOptions) {
    this.options = options;
  }

  get limits(): SmtpSessionLimits {
    return this.options.limits;
  }

  stressed(server: Connection["_server"]): boolean {
    return server.connections.size >= this.limits.stressThreshold * this.limits.maxClients;
  }

  idleTimeoutMs(server: Connection["_server"]): number {
    return this.stressed(server) ? this.limits.stressIdleTimeoutMs : this.limits.idleTimeoutMs;
  }

  junkLimit(server: Connection["_server"]): number {
    return this.stressed(server) ? this.limits.stressJunkCommandLimit : this.limits.junkCommandLimit;
  }

  /**
   * Entering stress mode shortens the idle timeout of every open session, not only of new ones:
   * the slots to free are the ones idle clients already hold.
   */
  noteLoad(server: Connection["_server"]): void {
    const stressed = this.stressed(server);
    if (stressed && !this.#stressed) {
      this.options.log.warn("smtp.stress", { connections: server.connections.size });
      for (const connection of server.connections) {
        if (!connection._upgrading && !connection._closing) {
          connection._socket.setTimeout(this.limits.stressIdleTimeoutMs);
        }
      }
    }
    this.#stressed = stressed;
  }
}

const guards = new WeakMap<object, ServerGuard>();
/** By session: smtp-server keeps one session object per connection, and its onClose hook names it. */
const states = new WeakMap<SMTPServerSession, SessionState>();

/** Applies the session limits to every connection of `server`. Install `sessionGuardPatch` first. */
export function guardSessions(server: SMTPServer, options: GuardOptions): void {
  guards.set(server, new ServerGuard(options));
  // smtp-server's onClose hook (called once per connection, after it left `server.connections`): the
  // deadline stops, the transfer's buffer share comes back, and the load is judged again.
  const onClose = server.onClose;
  server.onClose = function (this: SMTPServer, session, callback) {
    const state = states.get(session);
    if (state) {
      clearTimeout(state.deadline);
      endTransfer(state);
      states.delete(session);
      guards.get(state.connection._server)?.noteLoad(state.connection._server);
    }
    return onClose.call(this, session, callback);
  };
}

function refuse(connection: Connection, answer: SmtpReply): void {
  connection.send(answer.responseCode, answer.message);
}

/** Whether the client is waiting for us (a hook has not answered, or the message is being stored). */
function awaitingUs(connection: Connection): boolean {
  return (
    connection._handlerPending === true ||
    Boolean(connection._dataStream && connection._parser && !connection._parser._dataMode)
  );
}

function armDeadline(guard: ServerGuard, connection: Connection, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(() => {
    const state = states.get(connection.session);
    if (!state || connection._closing || connection._closed) return;
    // Cutting in while the message is being stored would turn a delivered message into a retry.
    if (awaitingUs(connection)) {
      state.deadline = armDeadline(guard, connection, DEADLINE_RECHECK_MS);
      return;
    }
    guard.options.log.info("smtp.session_deadline", {
      session: connection.session.id,
      client: connection.session.remoteAddress,
    });
    refuse(connection, reply.sessionTooLong());
  }, ms);
  timer.unref?.();
  return timer;
}

/**
 * DATA may take `dataGraceMs` plus 1 s for every `minDataRate` bytes received (Postfix's
 * per-request deadline with smtpd_min_data_rate): the timer sleeps until that moment, and moves on
 * when the bytes that came meanwhile earned more time.
 */
function armDataRate(guard: ServerGuard, connection: Connection, state: SessionState): void {
  const data = state.data;
  if (!data) return;
  const parser = connection._parser;
  if (parser === false || !parser._dataMode || connection._closing) return;
  const { dataGraceMs, minDataRate } = guard.limits;
  const allowed = dataGraceMs + (parser.dataBytes * 1000) / minDataRate;
  const elapsed = Date.now() - data.started;
  if (elapsed < allowed) {
    data.timer = setTimeout(() => armDataRate(guard, connection, state), Math.max(10, allowed - elapsed));
    data.timer.unref?.();
    return;
  }
  guard.options.log.info("smtp.data_too_slow", {
    session: connection.session.id,
    client: connection.session.remoteAddress,
    bytes: parser.dataBytes,
    ms: elapsed,
  });
  refuse(connection, reply.dataTooSlow());
}

function endTransfer(state: SessionState | undefined): void {
  if (!state?.data) return;
  clearTimeout(state.data.timer);
  state.data.lease.release();
  state.data = undefined;
}

/** The SMTPConnection wraps behind `guardSessions()` (a patch in patches.ts). */
export const sessionGuardPatch: ConnectionPatch = {
  name: "session guard",
  wraps: { init: 0, _onCommand: 2, handler_DATA: 2, _resetSession: 0 },
  fields: [
    "_server",
    "connections",
    "_socket",
    "_parser",
    "dataBytes",
    "_dataMode",
    "_dataStream",
    "_handlerPending",
    "_nextHandler",
    "_upgrading",
    "_transactionCounter",
    "_closing",
    "_closed",
    "session",
  ],
  install: (target) => wrapConnection(target as Connection),
};

function wrapConnection(proto: Connection): void {
  const { init, _onCommand: onCommand, _resetSession: resetSession } = proto;
  const data = proto.handler_DATA;

  proto.init = function (this: Connection) {
    init.call(this);
    const guard = guards.get(this._server);
    if (!guard) return;
    states.set(this.session, {
      connection: this,
      deadline: armDeadline(guard, this, guard.limits.sessionDeadlineMs),
      junk: 0,
      transactions: this._transactionCounter,
    });
    guard.noteLoad(this._server);
    if (guard.stressed(this._server)) this._socket.setTimeout(guard.limits.stressIdleTimeoutMs);
  };

  proto._onCommand = function (this: Connection, command, callback) {
    const guard = guards.get(this._server);
    const state = states.get(this.session);
    // Not for the lines of an AUTH exchange, nor for plaintext discarded during a TLS handshake.
    if (guard && state && !this._nextHandler && !this._upgrading) {
      // Postfix: "The junk command count is reset after mail is delivered."
      if (state.transactions !== this._transactionCounter) {
        state.transactions = this._transactionCounter;
        state.junk = 0;
      }
      const name = String(command ?? "")
        .slice(0, 8)
        .split(" ")[0]!
        .trim()
        .toUpperCase();
      if (JUNK_COMMANDS.has(name) && ++state.junk > guard.junkLimit(this._server)) {
        guard.options.log.info("smtp.junk_commands", {
          session: this.session.id,
          client: this.session.remoteAddress,
          count: state.junk,
        });
        refuse(this, reply.tooManyJunkCommands());
        return;
      }
      // The wait for the next command: short while the listener is nearly full (stress mode).
      this._socket.setTimeout(guard.idleTimeoutMs(this._server));
    }
    onCommand.call(this, command, callback);
  };

  proto.handler_DATA = function (this: Connection, command, callback) {
    const guard = guards.get(this._server);
    const state = states.get(this.session);
    if (!guard || !state || !this._parser || this.session.envelope.rcptTo.length === 0) {
      data.call(this, command, callback);
      return;
    }
    const lease = guard.options.buffers.tryReserve(guard.options.transferBytes);
    if (!lease) {
      guard.options.log.warn("smtp.memory_busy", {
        session: this.session.id,
        client: this.session.remoteAddress,
        used: guard.options.buffers.used,
      });
      // RFC 5321 §4.2.5: a temporary failure; nothing of the message has been sent yet.
      refuse(this, reply.serverBusy());
      callback();
      return;
    }
    endTransfer(state);
    data.call(this, command, callback);
    if (!this._dataStream) {
      lease.release();
      return;
    }
    state.data = { started: Date.now(), lease };
    armDataRate(guard, this, state);
  };

  // The transfer's share of the buffer budget is given back when its transaction ends
  // (smtp-server resets the session after answering DATA) or the connection closes (onClose above).
  proto._resetSession = function (this: Connection) {
    endTransfer(states.get(this.session));
    resetSession.call(this);
  };
}
