/**
 * Early talkers (Postfix postscreen's "pregreet" test): an SMTP client must wait for the greeting
 * (RFC 5321 §3.1, §4.3.1); spamware often sends at once. smtp-server already refuses a command that
 * arrives before its greeting with "421 You talk too soon" but keeps listening for the rest of the
 * wait; on port 25 with the defence on, the client gets 554 5.5.1 and is disconnected, and the
 * session is marked so that the connect hook (which may still be waiting out MAILROOM_GREET_DELAY)
 * sends nothing more. No hook sees a command before the greeting, so `_onCommand` is wrapped
 * (one of the patches of patches.ts).
 */
import type { SMTPServer } from "smtp-server";
import type { Logger } from "../../log.ts";
import type { ConnectionBase, ConnectionPatch } from "../connection-patch.ts";
import { reply } from "../replies.ts";
import { defenceState } from "./state.ts";

interface Connection extends ConnectionBase {
  _server: SMTPServer;
  _ready: boolean;
  close(): void;
}

const watched = new WeakMap<object, Logger>();

/** Refuses early talkers on `server` (install `pregreetPatch` first). */
export function watchEarlyTalkers(server: SMTPServer, log: Logger): void {
  watched.set(server, log);
}

export const pregreetPatch: ConnectionPatch = {
  name: "early talker",
  wraps: { _onCommand: 2, close: 0 },
  fields: ["_ready", "_upgrading", "_closing", "session"],
  install(target) {
    const proto = target as Connection;
    const onCommand = proto._onCommand;
    proto._onCommand = function (this: Connection, command, callback) {
      const log = watched.get(this._server);
      if (log && !this._ready && !this._upgrading && !this._closing) {
        defenceState(this.session).earlyTalk = true;
        log.warn("smtp.early_talker", {
          session: this.session.id,
          client: this.session.remoteAddress,
          command: String(command ?? "")
            .slice(0, 40)
            .split(" ")[0],
        });
        const answer = reply.earlyTalker();
        this.send(answer.responseCode, answer.message);
        this.close();
        return;
      }
      onCommand.call(this, command, callback);
    };
  },
};
