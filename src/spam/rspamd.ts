/**
 * rspamd over its HTTP protocol (rspamd.com/doc/architecture/protocol.html), against the controller
 * worker, which serves both /checkv2 and the learn endpoints. The message goes to /checkv2 straight
 * from the spool file with its length, or as the pieces the caller already holds (our
 * Authentication-Results field and the received bytes): never a second copy in memory. The
 * envelope goes as rspamd's request headers; the reply is read up to a bound; one deadline covers
 * connect, upload and reply.
 * Every failure (refused, timed out, garbage, too large, HTTP error) is an `RspamdUnavailable`, which
 * the caller turns into fail-open or fail-closed.
 */
import { createReadStream } from "node:fs";
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { settleOnce } from "../net/settle-once.ts";
import { SPAM_LIMITS } from "./limits.ts";
import { parseRspamdReply, RspamdReplyError } from "./rspamd-reply.ts";
import type { SpamVerdict } from "./verdict.ts";

export class RspamdUnavailable extends Error {
  override name = "RspamdUnavailable";
}

/** What a scan sends: the file at `path` (`size` bytes), or `parts` one after the other. */
export type ScanSource = { path: string; size: number } | { parts: readonly Uint8Array[] };

/** The envelope of a scan, as rspamd's request headers name it. */
export interface ScanEnvelope {
  /** The client's address (header IP). */
  ip: string;
  helo: string;
  /** The client's confirmed host name (Hostname), when reverse DNS confirmed one. */
  hostname?: string;
  /** MAIL FROM ("" for the null sender). */
  from: string;
  rcpt: readonly string[];
  queueId: string;
  /** The authenticated login, if any (User). */
  user?: string;
}

export interface RspamdOptions {
  /** The controller's base URL, e.g. http://127.0.0.1:11334. */
  url: string;
  password?: string;
  timeoutMs: number;
}

/** What a learn call came to. "done" also covers "already learned" and "nothing to learn from". */
export type LearnOutcome =
  | { kind: "done"; detail: string }
  | { kind: "retry"; detail: string }
  | { kind: "drop"; detail: string };

interface HttpReply {
  status: number;
  body: string;
}

export class RspamdClient {
  readonly #url: URL;
  readonly #password: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: RspamdOptions) {
    this.#url = new URL(options.url);
    this.#password = options.password;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Scans a message. Throws RspamdUnavailable for any failure. */
  async check(source: ScanSource, envelope: ScanEnvelope): Promise<SpamVerdict> {
    const size = "parts" in source ? source.parts.reduce((n, p) => n + p.byteLength, 0) : source.size;
    const headers: OutgoingHttpHeaders = {
      "content-type": "message/rfc822",
      "content-length": String(size),
      IP: envelope.ip,
      Helo: envelope.helo || "unknown",
      From: envelope.from,
      "Queue-Id": envelope.queueId,
    };
    // rspamd reads one Rcpt header per recipient.
    if (envelope.rcpt.length > 0) headers.Rcpt = [...envelope.rcpt];
    if (envelope.hostname) headers.Hostname = envelope.hostname;
    if (envelope.user) headers.User = envelope.user;
    const body = "parts" in source ? () => source.parts : () => createReadStream(source.path);
    const reply = await this.#post("/checkv2", headers, body, this.#timeoutMs);
    if (reply.status !== 200)
      throw new RspamdUnavailable(`HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
    try {
      return parseRspamdReply(reply.body);
    } catch (error) {
      if (error instanceof RspamdReplyError) throw new RspamdUnavailable(error.message);
      throw error;
    }
  }

  /**
   * Trains the Bayes classifier of `user` (rspamd's per-user statistics key on the Deliver-To
   * header). Never throws: the outcome says whether to retry.
   */
  async learn(kind: "spam" | "ham", message: Uint8Array, user: string): Promise<LearnOutcome> {
    let reply: HttpReply;
    try {
      reply = await this.#post(
        kind === "spam" ? "/learnspam" : "/learnham",
        {
          "content-type": "message/rfc822",
          "content-length": String(message.byteLength),
          "Deliver-To": user,
        },
        () => message,
        SPAM_LIMITS.rspamdLearnTimeoutMs,
      );
    } catch (error) {
      return { kind: "retry", detail: (error as Error).message };
    }
    const detail = reply.body.slice(0, 200);
    if (reply.status === 200 || reply.status === 204)
      return { kind: "done", detail: detail || `HTTP ${reply.status}` };
    // rspamd answers 404 "has been already learned as spam/ham, ignore it" for a message it knows.
    if (/already learned/i.test(reply.body)) return { kind: "done", detail };
    // Unauthorized, or rspamd down behind a proxy: fixable, so try again later.
    if (reply.status === 401 || reply.status === 403 || reply.status === 429 || reply.status >= 500)
      return { kind: "retry", detail: `HTTP ${reply.status}: ${detail}` };
    // Anything else (a message rspamd cannot learn from, 400) will not get better with retries.
    return { kind: "drop", detail: `HTTP ${reply.status}: ${detail}` };
  }

  #post(
    path: string,
    extra: OutgoingHttpHeaders,
    body: () => Readable | Uint8Array | readonly Uint8Array[],
    timeoutMs: number,
  ): Promise<HttpReply> {
    const url = this.#url;
    const headers: OutgoingHttpHeaders = { ...extra };
    if (this.#password) headers.Password = this.#password;
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    const base = url.pathname.replace(/\/+$/, "");
    const timedOut = () => new RspamdUnavailable(`no reply within ${timeoutMs} ms`);
    const outcome = settleOnce<HttpReply | RspamdUnavailable>(timeoutMs, timedOut, (settle) => {
      const fail = (why: string) => settle(new RspamdUnavailable(why));
      // A complete answer leaves the connection to the agent (kept alive for the next check).
      let answered = false;
      const req = request(
        {
          hostname: url.hostname.replace(/^\[|\]$/g, ""),
          port: url.port || undefined,
          path: base + path,
          method: "POST",
          headers,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let length = 0;
          res.on("data", (chunk: Buffer) => {
            length += chunk.length;
            if (length > SPAM_LIMITS.rspamdReplyBytes)
              return fail(`reply larger than ${SPAM_LIMITS.rspamdReplyBytes} bytes`);
            chunks.push(chunk);
          });
          res.once("error", (error) => fail(error.message));
          res.once("end", () => {
            answered = true;
            settle({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          });
        },
      );
      req.once("error", (error) => fail(error.message));
      const data = body();
      if (data instanceof Uint8Array) req.end(data);
      else if (!("pipe" in data)) {
        for (const part of data) req.write(part);
        req.end();
      } else {
        data.once("error", (error) => fail(`reading the message: ${error.message}`));
        data.pipe(req);
      }
      return () => {
        if (answered) return;
        req.destroy();
        if ("pipe" in data) data.destroy();
      };
    });
    return outcome.then((result) => {
      if (result instanceof RspamdUnavailable) throw result;
      return result;
    });
  }
}
