/**
 * rspamd's /checkv2 reply (rspamd.com/doc/architecture/protocol.html, "rspamd HTTP reply"), read into
 * a verdict. Anything that is not such a reply (not JSON, no known action, no finite score) is
 * garbage: the caller treats it as an outage, never as "no action".
 */
import { SPAM_LIMITS } from "./limits.ts";
import {
  type MilterChanges,
  SPAM_ACTIONS,
  type SpamAction,
  type SpamSymbol,
  type SpamVerdict,
} from "./verdict.ts";

export class RspamdReplyError extends Error {
  override name = "RspamdReplyError";
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A header name we would write: RFC 5322 §2.2 ftext, no more than a line. */
const HEADER_NAME = /^[!-9;-~]{1,76}$/;

/** Header values go into the message as they are: no CR or LF (they would inject lines), bounded. */
function headerValue(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const clean = v.replace(/[\r\n]+[ \t]*/g, " ").replace(/[\0-\x08\x0b-\x1f\x7f]/g, "");
  return clean.length > SPAM_LIMITS.maxMilterHeaderBytes
    ? clean.slice(0, SPAM_LIMITS.maxMilterHeaderBytes)
    : clean;
}

/**
 * The "milter" block: add_headers maps a name to a value, to {value, order}, or to a list of either;
 * remove_headers maps a name to which occurrence (0 all, n the n-th, -n from the end).
 */
function milterChanges(milter: unknown): MilterChanges | undefined {
  if (!isObject(milter)) return undefined;
  const add: MilterChanges["add"] = [];
  const remove: MilterChanges["remove"] = [];
  if (isObject(milter.remove_headers)) {
    for (const [name, which] of Object.entries(milter.remove_headers)) {
      if (!HEADER_NAME.test(name) || remove.length >= SPAM_LIMITS.maxMilterHeaders) continue;
      remove.push([name, typeof which === "number" && Number.isInteger(which) ? which : 0]);
    }
  }
  if (isObject(milter.add_headers)) {
    for (const [name, spec] of Object.entries(milter.add_headers)) {
      if (!HEADER_NAME.test(name)) continue;
      const entries = (Array.isArray(spec) ? spec : [spec]).map((e) =>
        isObject(e)
          ? { value: headerValue(e.value), order: Number(e.order) || 0 }
          : { value: headerValue(e), order: 0 },
      );
      for (const e of entries.sort((a, b) => a.order - b.order)) {
        if (e.value === undefined || add.length >= SPAM_LIMITS.maxMilterHeaders) continue;
        add.push([name, e.value]);
      }
    }
  }
  return add.length > 0 || remove.length > 0 ? { add, remove } : undefined;
}

function symbolsOf(symbols: unknown): SpamSymbol[] {
  if (!isObject(symbols)) return [];
  const out: SpamSymbol[] = [];
  for (const [key, value] of Object.entries(symbols)) {
    if (!isObject(value)) continue;
    const name = typeof value.name === "string" ? value.name : key;
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) continue;
    const score = typeof value.score === "number" && Number.isFinite(value.score) ? value.score : 0;
    const options = Array.isArray(value.options)
      ? value.options.filter((o): o is string => typeof o === "string").slice(0, 5)
      : [];
    const detail = headerValue(options.join(", "))?.slice(0, 200);
    out.push(detail ? { name, score, detail } : { name, score });
  }
  // Largest contributions first; the rest is dropped past the bound.
  return out.sort((a, b) => Math.abs(b.score) - Math.abs(a.score)).slice(0, SPAM_LIMITS.maxSymbols);
}

/** The verdict in a /checkv2 reply body; throws RspamdReplyError for anything else. */
export function parseRspamdReply(body: string): SpamVerdict {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new RspamdReplyError("the reply is not JSON");
  }
  if (!isObject(json)) throw new RspamdReplyError("the reply is not a JSON object");
  if (typeof json.error === "string") throw new RspamdReplyError(`rspamd: ${json.error.slice(0, 200)}`);
  const action = json.action;
  if (typeof action !== "string" || !SPAM_ACTIONS.includes(action as SpamAction))
    throw new RspamdReplyError(`unknown action ${JSON.stringify(action)?.slice(0, 50)}`);
  const score = json.score;
  if (typeof score !== "number" || !Number.isFinite(score))
    throw new RspamdReplyError("no score in the reply");
  const required =
    typeof json.required_score === "number" && Number.isFinite(json.required_score) ? json.required_score : 0;
  const verdict: SpamVerdict = {
    checker: "rspamd",
    action: action as SpamAction,
    score,
    required,
    symbols: symbolsOf(json.symbols),
  };
  const subject = headerValue(json.subject);
  if (action === "rewrite subject" && subject) verdict.subject = subject;
  const milter = milterChanges(json.milter);
  if (milter) verdict.milter = milter;
  const messages = json.messages;
  if (isObject(messages)) {
    const message = headerValue(messages.smtp_message);
    if (message) verdict.message = message.slice(0, 200);
  }
  return verdict;
}
